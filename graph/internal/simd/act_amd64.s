
#include "textflag.h"

// Constants, each repeated in the eight float32 lanes of a YMM register
// and used as memory operands.
#define VEC8(name, bits) \
	DATA name<>+0(SB)/4, $bits; \
	DATA name<>+4(SB)/4, $bits; \
	DATA name<>+8(SB)/4, $bits; \
	DATA name<>+12(SB)/4, $bits; \
	DATA name<>+16(SB)/4, $bits; \
	DATA name<>+20(SB)/4, $bits; \
	DATA name<>+24(SB)/4, $bits; \
	DATA name<>+28(SB)/4, $bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

VEC8(one, 0x3f800000)    // 1
VEC8(log2e, 0x3fb8aa3b)  // log2(e)
VEC8(ln2hi, 0x3f318000)  // 0.693359375: n·ln2hi is exact for |n| ≤ 127
VEC8(ln2lo, 0xb95e8083)  // ln 2 − ln2hi
VEC8(c2, 0x3f000000)     // 1/2!
VEC8(c3, 0x3e2aaaab)     // 1/3!
VEC8(c4, 0x3d2aaaab)     // 1/4!
VEC8(c5, 0x3c088889)     // 1/5!
VEC8(c6, 0x3ab60b61)     // 1/6!
VEC8(c7, 0x39500d01)     // 1/7!
VEC8(bias, 0x0000007f)   // the float32 exponent bias, 127, as an integer
VEC8(explo, 0xc2ae999a)  // -87.3: e^x stays a normal number (n ≥ -126)
VEC8(exphi, 0x42b00000)  // 88: e^x stays finite (n ≤ 127)
VEC8(sigzero, 0xc2b00000) // -88: the sigmoid below it is 0
VEC8(sign, 0x80000000)
VEC8(abs, 0x7fffffff)
VEC8(tanhsmall, 0x3f200000) // 0.625: tanh by its polynomial below it
// tanh(a) ≈ a + a·z·(p1 + z·(p2 + z·(p3 + z·(p4 + z·p5)))), z = a², on
// [0, 0.625]: a minimax fit of the relative error (Lawson's iteration over
// weighted least squares, in numpy), 8.6e-9 at float32 coefficients. The
// minimax polynomial is unique, and these agree with the ones of Cephes'
// tanhf to the digits it prints.
VEC8(tanhp1, 0xbeaaaa99)
VEC8(tanhp2, 0x3e088393)
VEC8(tanhp3, 0xbd5c1e2d)
VEC8(tanhp4, 0x3ca9134f)
VEC8(tanhp5, 0xbbbaf0ea)

// EXPR sets out = e^in for in already clamped to [explo, exphi], using
// tmp: in = n·ln2 + r with n an integer and |r| ≤ ln2/2, e^r by its
// Taylor polynomial of degree 7, and 2^n built in the exponent bits. in
// is clobbered (it ends as r). The constants come as operands, registers
// or memory: l2e log2e, hi ln2hi, lo ln2lo, c7..c2 the polynomial's
// coefficients, one 1.
#define EXPR(in, out, tmp, l2e, hi, lo, c7, c6, c5, c4, c3, c2, one) \
	VMULPS       l2e, in, tmp; \
	VROUNDPS     $0, tmp, tmp; \
	VFNMADD231PS hi, tmp, in; \
	VFNMADD231PS lo, tmp, in; \
	VMOVUPS      c7, out; \
	VFMADD213PS  c6, in, out; \
	VFMADD213PS  c5, in, out; \
	VFMADD213PS  c4, in, out; \
	VFMADD213PS  c3, in, out; \
	VFMADD213PS  c2, in, out; \
	VFMADD213PS  one, in, out; \
	VFMADD213PS  one, in, out; \
	VCVTPS2DQ    tmp, tmp; \
	VPADDD       bias<>(SB), tmp, tmp; \
	VPSLLD       $23, tmp, tmp; \
	VMULPS       tmp, out, out

// func sigmoidAVX2(dst, x *float32, n int)
//
// dst = 1/(1 + e^-x) for the eight lanes of each vector of x; n is a
// positive multiple of 8. The clamps keep NaN (the second operand of
// VMAXPS/VMINPS is returned when either is NaN); below -88 the result is
// 0. One vector an iteration, with EXPR's constants in registers;
// out-of-order execution overlaps the iterations' chains. Against the
// earlier loop of two vectors with memory operands, the same operations:
// 4% faster on 4,096 elements (BenchmarkActivations, one core, medians
// of 9: 2.03 against 2.10 µs).
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ    dst+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    n+16(FP), CX
	VMOVUPS log2e<>(SB), Y4
	VMOVUPS ln2hi<>(SB), Y5
	VMOVUPS ln2lo<>(SB), Y6
	VMOVUPS c6<>(SB), Y7
	VMOVUPS c5<>(SB), Y8
	VMOVUPS c4<>(SB), Y9
	VMOVUPS c3<>(SB), Y10
	VMOVUPS c2<>(SB), Y11
	VMOVUPS c7<>(SB), Y12
	VMOVUPS explo<>(SB), Y13
	VMOVUPS exphi<>(SB), Y14
	VMOVUPS one<>(SB), Y15

sig8:
	VMOVUPS   (SI), Y0
	VXORPS    sign<>(SB), Y0, Y2
	VMAXPS    Y2, Y13, Y2
	VMINPS    Y2, Y14, Y2
	EXPR(Y2, Y1, Y3, Y4, Y5, Y6, Y12, Y7, Y8, Y9, Y10, Y11, Y15)
	VADDPS    Y15, Y1, Y1
	VDIVPS    Y1, Y15, Y1
	VCMPPS    $5, sigzero<>(SB), Y0, Y2
	VANDPS    Y2, Y1, Y1
	VMOVUPS   Y1, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       sig8

	VZEROUPPER
	RET

// TANHEXP sets out = 1 − 2/(e^{2a} + 1) for a = |x| in t1, using t2 and
// t3 (the formula from |x| = 0.625 on). EXPR's constants but c7 are in
// Y6–Y13, exphi in Y14 and 1 in Y15.
#define TANHEXP(out, t1, t2, t3) \
	VADDPS      t1, t1, t2; \
	VMINPS      t2, Y14, t2; \
	EXPR(t2, out, t3, Y6, Y7, Y8, c7<>(SB), Y9, Y10, Y11, Y12, Y13, Y15); \
	VADDPS      Y15, out, out; \
	VADDPS      Y15, Y15, t3; \
	VDIVPS      out, t3, out; \
	VSUBPS      out, Y15, out

// TANHPOLY sets p = a + a·z·P(z) (z = a², in t2) for a = |x| in t1: the
// polynomial below |x| = 0.625.
#define TANHPOLY(p, t1, t2) \
	VMULPS      t1, t1, t2; \
	VMOVUPS     tanhp5<>(SB), p; \
	VFMADD213PS tanhp4<>(SB), t2, p; \
	VFMADD213PS tanhp3<>(SB), t2, p; \
	VFMADD213PS tanhp2<>(SB), t2, p; \
	VFMADD213PS tanhp1<>(SB), t2, p; \
	VMULPS      t2, p, p; \
	VFMADD213PS t1, t1, p

// func tanhAVX2(dst, x *float32, n int)
//
// n is a positive multiple of 8. One vector an iteration, as the
// sigmoid: with a = |x|, TANHPOLY in the lanes below 0.625 and TANHEXP
// in the others, then x's sign. A vector whose lanes are all below 0.625
// (nearly every one in the workloads: a gate's and a cell state's
// pre-activations are small) computes only the polynomial, one whose
// lanes are all at or above it only the exponential formula: what the
// blend of both would pick, lane by lane, the same bits.
TEXT ·tanhAVX2(SB), NOSPLIT, $0-24
	MOVQ    dst+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    n+16(FP), CX
	VMOVUPS log2e<>(SB), Y6
	VMOVUPS ln2hi<>(SB), Y7
	VMOVUPS ln2lo<>(SB), Y8
	VMOVUPS c6<>(SB), Y9
	VMOVUPS c5<>(SB), Y10
	VMOVUPS c4<>(SB), Y11
	VMOVUPS c3<>(SB), Y12
	VMOVUPS c2<>(SB), Y13
	VMOVUPS exphi<>(SB), Y14
	VMOVUPS one<>(SB), Y15

tanh8:
	VMOVUPS   (SI), Y0
	VANDPS    abs<>(SB), Y0, Y2
	VCMPPS    $1, tanhsmall<>(SB), Y2, Y5
	VMOVMSKPS Y5, AX
	CMPL      AX, $0xff
	JEQ       small
	TANHEXP(Y1, Y2, Y3, Y4)
	TESTL     AX, AX
	JZ        sign
	TANHPOLY(Y4, Y2, Y3)
	VBLENDVPS Y5, Y4, Y1, Y1
	JMP       sign

small:
	TANHPOLY(Y1, Y2, Y3)

sign:
	VANDPS  sign<>(SB), Y0, Y5
	VORPS   Y5, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     tanh8

	VZEROUPPER
	RET

// The sigmoid and tanh of act_amd64.s in 512-bit AVX-512F registers,
// sixteen lanes a vector: the same operations on each lane in the same
// order (VRNDSCALEPS $0 for VROUNDPS $0, both round to nearest even; the
// comparisons into mask registers, and masked moves for the AND with a
// comparison's lanes and for VBLENDVPS), so every element gets the same
// bits as from the AVX2 kernels. The constants are act_amd64.s's,
// broadcast from their first lane.

// ZEROHIGH clears Z16–Z31 before a kernel returns: VZEROUPPER clears the
// upper halves of Z0–Z15 only, and no register should be left holding
// 512-bit state for the SSE and AVX2 code that runs after (an EVEX write
// of an X register zeroes the whole Z register).
#define ZEROHIGH \
	VPXORD X16, X16, X16; \
	VPXORD X17, X17, X17; \
	VPXORD X18, X18, X18; \
	VPXORD X19, X19, X19; \
	VPXORD X20, X20, X20; \
	VPXORD X21, X21, X21; \
	VPXORD X22, X22, X22; \
	VPXORD X23, X23, X23; \
	VPXORD X24, X24, X24; \
	VPXORD X25, X25, X25; \
	VPXORD X26, X26, X26; \
	VPXORD X27, X27, X27; \
	VPXORD X28, X28, X28; \
	VPXORD X29, X29, X29; \
	VPXORD X30, X30, X30; \
	VPXORD X31, X31, X31

// Constants in Z16–Z31 for both kernels.
#define LOADCONST \
	VBROADCASTSS explo<>(SB), Z16; \
	VBROADCASTSS exphi<>(SB), Z17; \
	VBROADCASTSS sigzero<>(SB), Z18; \
	VBROADCASTSS sign<>(SB), Z19; \
	VBROADCASTSS log2e<>(SB), Z20; \
	VBROADCASTSS ln2hi<>(SB), Z21; \
	VBROADCASTSS ln2lo<>(SB), Z22; \
	VBROADCASTSS c7<>(SB), Z23; \
	VBROADCASTSS c6<>(SB), Z24; \
	VBROADCASTSS c5<>(SB), Z25; \
	VBROADCASTSS c4<>(SB), Z26; \
	VBROADCASTSS c3<>(SB), Z27; \
	VBROADCASTSS c2<>(SB), Z28; \
	VBROADCASTSS one<>(SB), Z29; \
	VBROADCASTSS bias<>(SB), Z30; \
	VBROADCASTSS abs<>(SB), Z31

// EXPR16 is act_amd64.s's EXPR: out = e^in for in already clamped,
// using tmp; in is clobbered.
#define EXPR16(in, out, tmp) \
	VMULPS       Z20, in, tmp; \
	VRNDSCALEPS  $0, tmp, tmp; \
	VFNMADD231PS Z21, tmp, in; \
	VFNMADD231PS Z22, tmp, in; \
	VMOVAPS      Z23, out; \
	VFMADD213PS  Z24, in, out; \
	VFMADD213PS  Z25, in, out; \
	VFMADD213PS  Z26, in, out; \
	VFMADD213PS  Z27, in, out; \
	VFMADD213PS  Z28, in, out; \
	VFMADD213PS  Z29, in, out; \
	VFMADD213PS  Z29, in, out; \
	VCVTPS2DQ    tmp, tmp; \
	VPADDD       Z30, tmp, tmp; \
	VPSLLD       $23, tmp, tmp; \
	VMULPS       tmp, out, out

// func sigmoidAVX512(dst, x *float32, n int)
//
// sigmoidAVX2 sixteen lanes at a time; n is a positive multiple of 16.
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	LOADCONST

sig16:
	VMOVUPS   (SI), Z0
	VPXORD    Z19, Z0, Z2
	VMAXPS    Z2, Z16, Z2
	VMINPS    Z2, Z17, Z2
	EXPR16(Z2, Z1, Z3)
	VADDPS    Z29, Z1, Z1
	VDIVPS    Z1, Z29, Z1
	VCMPPS    $5, Z18, Z0, K1
	VMOVAPS.Z Z1, K1, Z1
	VMOVUPS   Z1, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       sig16

	ZEROHIGH
	VZEROUPPER
	RET

// TANHEXP16 is TANHEXP: out = 1 − 2/(e^{2a} + 1) for a in t1, using t2, t3.
#define TANHEXP16(out, t1, t2, t3) \
	VADDPS  t1, t1, t2; \
	VMINPS  t2, Z17, t2; \
	EXPR16(t2, out, t3); \
	VADDPS  Z29, out, out; \
	VADDPS  Z29, Z29, t3; \
	VDIVPS  out, t3, out; \
	VSUBPS  out, Z29, out

// TANHPOLY16 is TANHPOLY: p = a + a·z·P(z), z = a² in t2, for a in t1;
// P's coefficients p5..p1 in Z10–Z14.
#define TANHPOLY16(p, t1, t2) \
	VMULPS      t1, t1, t2; \
	VMOVAPS     Z14, p; \
	VFMADD213PS Z13, t2, p; \
	VFMADD213PS Z12, t2, p; \
	VFMADD213PS Z11, t2, p; \
	VFMADD213PS Z10, t2, p; \
	VMULPS      t2, p, p; \
	VFMADD213PS t1, t1, p

// func tanhAVX512(dst, x *float32, n int)
//
// tanhAVX2 sixteen lanes at a time; n is a positive multiple of 16. The
// lanes below 0.625 are in K2; a vector with all of them small computes
// only the polynomial, one with none only the exponential formula.
TEXT ·tanhAVX512(SB), NOSPLIT, $0-24
	MOVQ         dst+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	LOADCONST
	VBROADCASTSS tanhp1<>(SB), Z10
	VBROADCASTSS tanhp2<>(SB), Z11
	VBROADCASTSS tanhp3<>(SB), Z12
	VBROADCASTSS tanhp4<>(SB), Z13
	VBROADCASTSS tanhp5<>(SB), Z14
	VBROADCASTSS tanhsmall<>(SB), Z15

tanh16:
	VMOVUPS (SI), Z0
	VPANDD  Z31, Z0, Z2
	VCMPPS  $1, Z15, Z2, K2
	KMOVW   K2, AX
	CMPL    AX, $0xffff
	JEQ     small16
	TANHEXP16(Z1, Z2, Z3, Z4)
	TESTL   AX, AX
	JZ      sign16
	TANHPOLY16(Z4, Z2, Z3)
	VMOVAPS Z4, K2, Z1
	JMP     sign16

small16:
	TANHPOLY16(Z1, Z2, Z3)

sign16:
	VPANDD  Z19, Z0, Z5
	VPORD   Z5, Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     tanh16

	ZEROHIGH
	VZEROUPPER
	RET
