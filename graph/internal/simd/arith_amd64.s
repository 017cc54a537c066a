#include "textflag.h"

// Elementwise float32 arithmetic, eight lanes at a time and 32 per
// iteration while at least 32 remain. The results are the IEEE
// operations', identical to Go's. Operand order is
// Go's assembler's: "VSUBPS b, a, dst" sets dst = a − b. Labels are local
// to each TEXT block, so the macros can use them.

// VV defines func name(dst, a, b *float32, n int): dst = a op b, for
// any n ≥ 8. The last n mod 8 elements come from one more vector, the
// last eight elements, computed before the loop from a and b as they are
// then and stored after it: where dst is a or b, the loop's stores do not
// change what it read, and the elements it shares with the loop get the
// same values twice.
#define VV(name, op) \
TEXT name(SB), NOSPLIT, $0-32; \
	MOVQ dst+0(FP), DI; \
	MOVQ a+8(FP), SI; \
	MOVQ b+16(FP), DX; \
	MOVQ n+24(FP), CX; \
	MOVQ CX, R8; \
	ANDQ $7, R8; \
	JZ   loop32; \
	LEAQ    -32(SI)(CX*4), R9; \
	VMOVUPS (R9), Y5; \
	LEAQ    -32(DX)(CX*4), R9; \
	op      (R9), Y5, Y5; \
	LEAQ    -32(DI)(CX*4), R9; \
	ANDQ    $-8, CX; \
loop32: \
	CMPQ    CX, $32; \
	JLT     loop8; \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VMOVUPS 64(SI), Y2; \
	VMOVUPS 96(SI), Y3; \
	op      (DX), Y0, Y0; \
	op      32(DX), Y1, Y1; \
	op      64(DX), Y2, Y2; \
	op      96(DX), Y3, Y3; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	ADDQ    $128, SI; \
	ADDQ    $128, DX; \
	ADDQ    $128, DI; \
	SUBQ    $32, CX; \
	JMP     loop32; \
loop8: \
	CMPQ    CX, $0; \
	JEQ     done; \
	VMOVUPS (SI), Y0; \
	op      (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DX; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
	JMP     loop8; \
done: \
	TESTQ   R8, R8; \
	JZ      ret; \
	VMOVUPS Y5, (R9); \
ret: \
	VZEROUPPER; \
	RET

// VS defines func name(dst, a *float32, s float32, n int): dst = first op
// second, each of them VEC (the element of a) or SCA (s), for any n ≥ 8,
// the last n mod 8 elements as in VV.
#define VS(name, op, first, second) \
TEXT name(SB), NOSPLIT, $0-32; \
	MOVQ         dst+0(FP), DI; \
	MOVQ         a+8(FP), SI; \
	VBROADCASTSS s+16(FP), Y4; \
	MOVQ         n+24(FP), CX; \
	MOVQ         CX, R8; \
	ANDQ         $7, R8; \
	JZ           loop32; \
	LEAQ         -32(SI)(CX*4), R9; \
	VMOVUPS      (R9), Y5; \
	op           second(Y5), first(Y5), Y5; \
	LEAQ         -32(DI)(CX*4), R9; \
	ANDQ         $-8, CX; \
loop32: \
	CMPQ    CX, $32; \
	JLT     loop8; \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VMOVUPS 64(SI), Y2; \
	VMOVUPS 96(SI), Y3; \
	op      second(Y0), first(Y0), Y0; \
	op      second(Y1), first(Y1), Y1; \
	op      second(Y2), first(Y2), Y2; \
	op      second(Y3), first(Y3), Y3; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	VMOVUPS Y2, 64(DI); \
	VMOVUPS Y3, 96(DI); \
	ADDQ    $128, SI; \
	ADDQ    $128, DI; \
	SUBQ    $32, CX; \
	JMP     loop32; \
loop8: \
	CMPQ    CX, $0; \
	JEQ     done; \
	VMOVUPS (SI), Y0; \
	op      second(Y0), first(Y0), Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
	JMP     loop8; \
done: \
	TESTQ   R8, R8; \
	JZ      ret; \
	VMOVUPS Y5, (R9); \
ret: \
	VZEROUPPER; \
	RET

// Operand pickers for VS: the vector register itself, or the scalar's.
#define VEC(r) r
#define SCA(r) Y4

VV(·addVV, VADDPS)
VV(·subVV, VSUBPS)
VV(·mulVV, VMULPS)
VV(·divVV, VDIVPS)
VS(·addVS, VADDPS, VEC, SCA)
VS(·subVS, VSUBPS, VEC, SCA)
VS(·mulVS, VMULPS, VEC, SCA)
VS(·divVS, VDIVPS, VEC, SCA)
VS(·subSV, VSUBPS, SCA, VEC)
VS(·divSV, VDIVPS, SCA, VEC)
VS(·xorVS, VXORPS, VEC, SCA) // with s = -0 (the sign bit alone): Neg

// func sumRowsAVX2(dst, x *float32, rows, ld, n int)
//
// dst[j] = x[j] + x[ld+j] + ... + x[(rows-1)·ld+j] for j < n, added in
// row order from zero (the order of a scalar loop over the rows), with
// rows ≥ 1 and n ≥ 8; dst does not overlap x. Columns go 32 at a time
// (four independent sums, to cover the addition's latency), then 8; the
// last n mod 8 in one more block of the last eight columns, whose sums
// over the columns already done are the same sums again.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ ld+24(FP), R9
	SHLQ $2, R9
	MOVQ n+32(FP), CX
	MOVQ CX, R10
	ANDQ $7, R10
	ANDQ $-8, CX

blk32:
	CMPQ   CX, $32
	JLT    blk8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   SI, AX
	MOVQ   R8, DX

row32:
	VADDPS (AX), Y0, Y0
	VADDPS 32(AX), Y1, Y1
	VADDPS 64(AX), Y2, Y2
	VADDPS 96(AX), Y3, Y3
	ADDQ   R9, AX
	DECQ   DX
	JNZ    row32
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JMP     blk32

blk8:
	TESTQ  CX, CX
	JNZ    blk8go
	TESTQ  R10, R10
	JZ     done
	// The last eight columns: back from the block after the last one.
	MOVQ   R10, CX
	SUBQ   $8, CX
	SHLQ   $2, CX
	ADDQ   CX, SI
	ADDQ   CX, DI
	XORQ   R10, R10
	MOVQ   $8, CX

blk8go:
	VXORPS Y0, Y0, Y0
	MOVQ   SI, AX
	MOVQ   R8, DX

row8:
	VADDPS (AX), Y0, Y0
	ADDQ   R9, AX
	DECQ   DX
	JNZ    row8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     blk8

done:
	VZEROUPPER
	RET

// func addRowsAVX(dst, x, row *float32, rows, c, ldd, ldx int)
//
// dst[r·ldd+j] = x[r·ldx+j] + row[j] for r < rows and j < c, with rows ≥
// 1 and c ≥ 8: addVV(dst+r·ldd, x+r·ldx, row, c) for each row, in one
// call. Each row's last c mod 8 elements as in VV: one vector of its last
// eight computed before the row's loop and stored after it, so dst may be
// x (with ldd = ldx).
TEXT ·addRowsAVX(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ row+16(FP), DX
	MOVQ rows+24(FP), R10
	MOVQ c+32(FP), R11
	MOVQ ldd+40(FP), R14
	SHLQ $2, R14
	MOVQ ldx+48(FP), R15
	SHLQ $2, R15
	MOVQ R11, R8
	ANDQ $7, R8
	MOVQ R11, R12
	ANDQ $-8, R12
	LEAQ -32(DX)(R11*4), R13

row:
	TESTQ   R8, R8
	JZ      whole
	LEAQ    -32(SI)(R11*4), R9
	VMOVUPS (R9), Y5
	VADDPS  (R13), Y5, Y5

whole:
	MOVQ R12, CX
	XORQ AX, AX

vec8:
	VMOVUPS (SI)(AX*1), Y0
	VADDPS  (DX)(AX*1), Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, CX
	JNZ     vec8
	TESTQ   R8, R8
	JZ      next
	LEAQ    -32(DI)(R11*4), R9
	VMOVUPS Y5, (R9)

next:
	ADDQ R15, SI
	ADDQ R14, DI
	DECQ R10
	JNZ  row
	VZEROUPPER
	RET

// OUTERMUL, PFIRST and BFIRST compute the eight elements of a row at
// byte offset AX: Y3 = fma(x, w, 0) (Y1 the row's x broadcast, as the
// product kernels compute a product of inner size 1 onto a zeroed
// accumulator), added to big's elements in the order given (PFIRST: p +
// big; BFIRST: big + p), then the bias row added (+ row, as addRowsAVX),
// stored to dst. DI, SI, DX, R13: the row of dst, the row of big, w and
// row.
#define OUTERMUL \
	VMOVUPS     (DX)(AX*1), Y2; \
	VXORPS      Y3, Y3, Y3; \
	VFMADD231PS Y2, Y1, Y3

#define PFIRST \
	OUTERMUL; \
	VADDPS  (SI)(AX*1), Y3, Y3; \
	VADDPS  (R13)(AX*1), Y3, Y3; \
	VMOVUPS Y3, (DI)(AX*1)

#define BFIRST \
	OUTERMUL; \
	VMOVUPS (SI)(AX*1), Y4; \
	VADDPS  Y3, Y4, Y3; \
	VADDPS  (R13)(AX*1), Y3, Y3; \
	VMOVUPS Y3, (DI)(AX*1)

// OUTERROWS runs the rows with the element macro OP, labels prefixed p.
#define OUTERROWS(OP, row, vec, tail, next) \
row: \
	VBROADCASTSS (BX), Y1; \
	MOVQ         R12, CX; \
	XORQ         AX, AX; \
	TESTQ        CX, CX; \
	JZ           tail; \
vec: \
	OP; \
	ADDQ $32, AX; \
	SUBQ $8, CX; \
	JNZ  vec; \
tail: \
	TESTQ R11, R11; \
	JZ    next; \
	MOVQ  R9, AX; \
	OP; \
next: \
	ADDQ R14, DI; \
	ADDQ R15, SI; \
	ADDQ R8, BX; \
	DECQ R10; \
	JNZ  row

// func addOuterRowsAVX(dst *float32, ldd int, big *float32, ldb int, x *float32, incx int, w, row *float32, rows, c, first int)
//
// dst[r·ldd+j] = (p + big[r·ldb+j]) + row[j] for first ≠ 0, (big[r·ldb+j]
// + p) + row[j] otherwise, with p = fma(x[r·incx], w[j], 0), for r < rows
// and j < c, rows ≥ 1 and c ≥ 8. Each row's last c mod 8 elements as one
// vector of its last eight, computed and stored after the others (dst
// overlaps no operand).
TEXT ·addOuterRowsAVX(SB), NOSPLIT, $0-88
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R14
	SHLQ $2, R14
	MOVQ big+16(FP), SI
	MOVQ ldb+24(FP), R15
	SHLQ $2, R15
	MOVQ x+32(FP), BX
	MOVQ incx+40(FP), R8
	SHLQ $2, R8
	MOVQ w+48(FP), DX
	MOVQ row+56(FP), R13
	MOVQ rows+64(FP), R10
	MOVQ c+72(FP), R12
	MOVQ R12, R11
	ANDQ $7, R11          // the elements past the whole vectors
	LEAQ -32(R12*4), R9   // the byte offset of the last eight
	ANDQ $-8, R12         // the elements in whole vectors
	MOVQ first+80(FP), AX
	TESTQ AX, AX
	JZ   brows
	OUTERROWS(PFIRST, prow, pvec, ptail, pnext)
	VZEROUPPER
	RET

brows:
	OUTERROWS(BFIRST, brow, bvec, btail, bnext)
	VZEROUPPER
	RET
