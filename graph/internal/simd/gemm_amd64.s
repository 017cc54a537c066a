#include "textflag.h"
#include "gemm_amd64.h"

// func gemmAVX2(m, n, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acs int)
//
// c = a·b, row-major, with m, n, k >= 1 and every row in bounds (checked by
// the Go caller); a[i][l] is at a + 4·(i·lda + l·acs), so that a may be
// read transposed in place (lda = 1, acs = the stored rows' stride). a is
// only ever read one element at a time (broadcasts and scalar FMAs). Each c[i][j] is accumulated over l = 0..k-1 in order, one
// FMA per step, starting from zero.
//
// Rows of a and c go in blocks of four, then one at a time for the last
// m%4 (one column, n == 1: eight rows at a time while eight are left,
// then four, then one). For each l, the b vectors of a column block are
// loaded once and multiplied by a[i][l], broadcast, for every row i of
// the block.
//
// Four rows: columns 24 at a time (4×3 vectors, 12 accumulators: enough
// independent FMA chains to cover the FMA latency), then one block of 16 or
// 8 for the rest. One row: columns 64 at a time (8 accumulators, b read in
// the FMAs), then 24, then 16 or 8.
//
// Ragged ends are not masked: when n ≥ w, the last block of width w is
// moved back to end at column n, overlapping columns already done; it
// computes them again with the same FMAs in the same order and stores the
// same values. (Masked stores are slow on some processors.) For 16 < n <
// 24 the third vector of the one 24-column block starts at column n-8,
// overlapping the second. Only n < 8 uses masked loads and stores, and
// n == 1 uses scalar FMAs.
//
// Registers:
//	DI  a, first row of the current row block
//	SI  c, first row of the current row block
//	R8  lda in bytes, R9 3·lda in bytes
//	R15 acs in bytes, the step of the a pointer from l to l+1 (free even
//	    when dynamic linking: the one global access, LEAQ of gemmMask's
//	    address, loads the address straight into AX, not through R15;
//	    go tool asm -dynlink checks it)
//	R10 ldb in bytes
//	R11 ldc in bytes, R12 3·ldc in bytes
//	BX  byte offset of the third vector of a 24-column block from the first
//	    (64, or less for a ragged block of n < 24 columns); in the
//	    eight-row one-column block, a's fifth row
//	m+0(FP) rows left
//	R14 columns left in the current row block
//	DX  byte offset of the current column block
//	AX  a pointer in the k loop, then c pointer for the stores
//	R13 b pointer in the k loop
//	CX  k loop counter (after the loop of the eight-row one-column block,
//	    c's fifth row)
//	Y15 broadcast a value (or the mask of the n < 8 kernels)

// FMA3 multiplies the broadcast Y15 into three accumulators.
#define FMA3(b0, b1, b2, c0, c1, c2) \
	VFMADD231PS b0, Y15, c0; \
	VFMADD231PS b1, Y15, c1; \
	VFMADD231PS b2, Y15, c2

#define FMA2(b0, b1, c0, c1) \
	VFMADD231PS b0, Y15, c0; \
	VFMADD231PS b1, Y15, c1

#define ZERO2 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1

#define ZERO3 \
	ZERO2; \
	VXORPS Y2, Y2, Y2

#define ZERO4 \
	ZERO3; \
	VXORPS Y3, Y3, Y3

#define ZERO8 \
	ZERO4; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7

#define ZERO12 \
	ZERO8; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11


TEXT ·gemmAVX2(SB), NOSPLIT, $0-80
	MOVQ acs+72(FP), R15
	SHLQ $2, R15
	MOVQ a+24(FP), DI
	MOVQ lda+32(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ ldb+48(FP), R10
	SHLQ $2, R10
	MOVQ c+56(FP), SI
	MOVQ ldc+64(FP), R11
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12

	CMPQ m+0(FP), $4
	JLT  rows1

rows4:
	XORQ DX, DX
	MOVQ $64, BX
	MOVQ n+8(FP), R14

r4blocks:
	// 24 columns a block while more than 32 are left; 25..32 left: 16
	// now and one block of 16 ending at column n after (two blocks of
	// eight accumulators rather than 24 and a block of four, which
	// waits on the FMA latency).
	CMPQ R14, $24
	JLT  r4tail
	JEQ  r4col24
	CMPQ R14, $32
	JLE  r4col16

r4col24:
	ZERO12
	KSTART

r4k24:
	VMOVUPS      (R13), Y12
	VMOVUPS      32(R13), Y13
	VMOVUPS      (R13)(BX*1), Y14
	VBROADCASTSS (AX), Y15
	FMA3(Y12, Y13, Y14, Y0, Y1, Y2)
	VBROADCASTSS (AX)(R8*1), Y15
	FMA3(Y12, Y13, Y14, Y3, Y4, Y5)
	VBROADCASTSS (AX)(R8*2), Y15
	FMA3(Y12, Y13, Y14, Y6, Y7, Y8)
	VBROADCASTSS (AX)(R9*1), Y15
	FMA3(Y12, Y13, Y14, Y9, Y10, Y11)
	KNEXT(r4k24)

	LEAQ    (SI)(DX*1), AX
	LEAQ    (AX)(BX*1), CX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, (CX)
	VMOVUPS Y3, (AX)(R11*1)
	VMOVUPS Y4, 32(AX)(R11*1)
	VMOVUPS Y5, (CX)(R11*1)
	VMOVUPS Y6, (AX)(R11*2)
	VMOVUPS Y7, 32(AX)(R11*2)
	VMOVUPS Y8, (CX)(R11*2)
	VMOVUPS Y9, (AX)(R12*1)
	VMOVUPS Y10, 32(AX)(R12*1)
	VMOVUPS Y11, (CX)(R12*1)

	ADDQ $96, DX
	SUBQ $24, R14
	JMP  r4blocks

r4tail:
	// 0..23 columns left.
	TESTQ R14, R14
	JZ    r4next
	CMPQ  R14, $16
	JG    r4tail24
	CMPQ  R14, $8
	JG    r4tail16

	// 1..8 left: one 8-column block ending at column n.
	CMPQ n+8(FP), $8
	JLT  r4narrow
	LEAQ -32(DX)(R14*4), DX
	MOVQ $8, R14
	JMP  r4col8

r4tail16:
	// 9..16 left: one 16-column block ending at column n, or, for n < 16,
	// 8 columns now and the rest after.
	CMPQ n+8(FP), $16
	JLT  r4col8
	LEAQ -64(DX)(R14*4), DX
	MOVQ $16, R14
	JMP  r4col16

r4tail24:
	// 17..23 left: one 24-column block ending at column n, or, for n < 24,
	// one block of columns 0..15 and n-8..n-1.
	MOVQ $24, CX
	CMPQ n+8(FP), CX
	JLT  r4ragged24
	LEAQ -96(DX)(R14*4), DX
	MOVQ CX, R14
	JMP  r4col24

r4ragged24:
	MOVQ R14, BX
	SHLQ $2, BX
	SUBQ $32, BX
	MOVQ CX, R14
	JMP  r4col24

r4col16:
	ZERO8
	KSTART

r4k16:
	VMOVUPS      (R13), Y12
	VMOVUPS      32(R13), Y13
	VBROADCASTSS (AX), Y15
	FMA2(Y12, Y13, Y0, Y1)
	VBROADCASTSS (AX)(R8*1), Y15
	FMA2(Y12, Y13, Y2, Y3)
	VBROADCASTSS (AX)(R8*2), Y15
	FMA2(Y12, Y13, Y4, Y5)
	VBROADCASTSS (AX)(R9*1), Y15
	FMA2(Y12, Y13, Y6, Y7)
	KNEXT(r4k16)

	LEAQ    (SI)(DX*1), AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, (AX)(R11*1)
	VMOVUPS Y3, 32(AX)(R11*1)
	VMOVUPS Y4, (AX)(R11*2)
	VMOVUPS Y5, 32(AX)(R11*2)
	VMOVUPS Y6, (AX)(R12*1)
	VMOVUPS Y7, 32(AX)(R12*1)
	ADDQ    $64, DX
	SUBQ    $16, R14
	JMP     r4tail

r4col8:
	ZERO4
	KSTART

r4k8:
	VMOVUPS      (R13), Y12
	VBROADCASTSS (AX), Y15
	VFMADD231PS  Y12, Y15, Y0
	VBROADCASTSS (AX)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y1
	VBROADCASTSS (AX)(R8*2), Y15
	VFMADD231PS  Y12, Y15, Y2
	VBROADCASTSS (AX)(R9*1), Y15
	VFMADD231PS  Y12, Y15, Y3
	KNEXT(r4k8)

	LEAQ    (SI)(DX*1), AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, (AX)(R11*1)
	VMOVUPS Y2, (AX)(R11*2)
	VMOVUPS Y3, (AX)(R12*1)
	ADDQ    $32, DX
	SUBQ    $8, R14
	JMP     r4tail

r4narrow:
	// n < 8: the whole row block in one masked vector; n == 1 in scalars.
	CMPQ R14, $1
	JEQ  r4one
	LEAQ    gemmMask<>+32(SB), AX
	MOVQ    R14, CX
	NEGQ    CX
	VMOVDQU (AX)(CX*4), Y15
	ZERO4
	KSTART

r4km:
	VMASKMOVPS   (R13), Y15, Y12
	VBROADCASTSS (AX), Y13
	VFMADD231PS  Y12, Y13, Y0
	VBROADCASTSS (AX)(R8*1), Y13
	VFMADD231PS  Y12, Y13, Y1
	VBROADCASTSS (AX)(R8*2), Y13
	VFMADD231PS  Y12, Y13, Y2
	VBROADCASTSS (AX)(R9*1), Y13
	VFMADD231PS  Y12, Y13, Y3
	KNEXT(r4km)

	LEAQ       (SI)(DX*1), AX
	VMASKMOVPS Y0, Y15, (AX)
	VMASKMOVPS Y1, Y15, (AX)(R11*1)
	VMASKMOVPS Y2, Y15, (AX)(R11*2)
	VMASKMOVPS Y3, Y15, (AX)(R12*1)
	JMP        r4next

r4one:
	// One column: eight rows at a time while eight are left (eight
	// independent scalar FMA chains keep both FMA pipes busy; four wait
	// on the latency), then four.
	CMPQ m+0(FP), $8
	JLT  r4one4
	ZERO8
	KSTART

r8k1:
	VMOVSS      (R13), X12
	LEAQ        (AX)(R8*4), BX
	VFMADD231SS (AX), X12, X0
	VFMADD231SS (AX)(R8*1), X12, X1
	VFMADD231SS (AX)(R8*2), X12, X2
	VFMADD231SS (AX)(R9*1), X12, X3
	VFMADD231SS (BX), X12, X4
	VFMADD231SS (BX)(R8*1), X12, X5
	VFMADD231SS (BX)(R8*2), X12, X6
	VFMADD231SS (BX)(R9*1), X12, X7
	KNEXT(r8k1)

	LEAQ   (SI)(R11*4), CX
	VMOVSS X0, (SI)
	VMOVSS X1, (SI)(R11*1)
	VMOVSS X2, (SI)(R11*2)
	VMOVSS X3, (SI)(R12*1)
	VMOVSS X4, (CX)
	VMOVSS X5, (CX)(R11*1)
	VMOVSS X6, (CX)(R11*2)
	VMOVSS X7, (CX)(R12*1)

	// m+0(FP) counts the rows left.
	LEAQ (DI)(R8*8), DI
	LEAQ (SI)(R11*8), SI
	MOVQ m+0(FP), CX
	SUBQ $8, CX
	MOVQ CX, m+0(FP)
	CMPQ CX, $4
	JGE  rows4
	JMP  rows1

r4one4:
	ZERO4
	KSTART

r4k1:
	VMOVSS      (R13), X12
	VFMADD231SS (AX), X12, X0
	VFMADD231SS (AX)(R8*1), X12, X1
	VFMADD231SS (AX)(R8*2), X12, X2
	VFMADD231SS (AX)(R9*1), X12, X3
	KNEXT(r4k1)

	VMOVSS X0, (SI)
	VMOVSS X1, (SI)(R11*1)
	VMOVSS X2, (SI)(R11*2)
	VMOVSS X3, (SI)(R12*1)

r4next:
	// m+0(FP) counts the rows left.
	LEAQ (DI)(R8*4), DI
	LEAQ (SI)(R11*4), SI
	MOVQ m+0(FP), CX
	SUBQ $4, CX
	MOVQ CX, m+0(FP)
	CMPQ CX, $4
	JGE  rows4

rows1:
	CMPQ m+0(FP), $0
	JEQ  done

row1:
	XORQ DX, DX
	MOVQ $64, BX
	MOVQ n+8(FP), R14
	CMPQ R14, $64
	JLT  r1col24

r1col64:
	ZERO8
	KSTART

r1k64:
	VBROADCASTSS (AX), Y15
	VFMADD231PS  (R13), Y15, Y0
	VFMADD231PS  32(R13), Y15, Y1
	VFMADD231PS  64(R13), Y15, Y2
	VFMADD231PS  96(R13), Y15, Y3
	VFMADD231PS  128(R13), Y15, Y4
	VFMADD231PS  160(R13), Y15, Y5
	VFMADD231PS  192(R13), Y15, Y6
	VFMADD231PS  224(R13), Y15, Y7
	KNEXT(r1k64)

	LEAQ    (SI)(DX*1), AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, 64(AX)
	VMOVUPS Y3, 96(AX)
	VMOVUPS Y4, 128(AX)
	VMOVUPS Y5, 160(AX)
	VMOVUPS Y6, 192(AX)
	VMOVUPS Y7, 224(AX)
	ADDQ    $256, DX
	SUBQ    $64, R14
	CMPQ    R14, $64
	JGE     r1col64

r1col24:
	CMPQ R14, $24
	JLT  r1tail

r1blk24:
	ZERO3
	KSTART

r1k24:
	VBROADCASTSS (AX), Y15
	VFMADD231PS  (R13), Y15, Y0
	VFMADD231PS  32(R13), Y15, Y1
	VFMADD231PS  (R13)(BX*1), Y15, Y2
	KNEXT(r1k24)

	LEAQ    (SI)(DX*1), AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMOVUPS Y2, (AX)(BX*1)
	ADDQ    $96, DX
	SUBQ    $24, R14
	CMPQ    R14, $24
	JGE     r1blk24

r1tail:
	// 0..23 columns left, as for four rows.
	TESTQ R14, R14
	JZ    r1next
	CMPQ  R14, $16
	JG    r1tail24
	CMPQ  R14, $8
	JG    r1tail16
	CMPQ  n+8(FP), $8
	JLT   r1narrow
	LEAQ  -32(DX)(R14*4), DX
	MOVQ  $8, R14
	JMP   r1col8

r1tail16:
	CMPQ n+8(FP), $16
	JLT  r1col8
	LEAQ -64(DX)(R14*4), DX
	MOVQ $16, R14
	JMP  r1col16

r1tail24:
	MOVQ $24, CX
	CMPQ n+8(FP), CX
	JLT  r1ragged24
	LEAQ -96(DX)(R14*4), DX
	MOVQ CX, R14
	JMP  r1blk24

r1ragged24:
	MOVQ R14, BX
	SHLQ $2, BX
	SUBQ $32, BX
	MOVQ CX, R14
	JMP  r1blk24

r1col16:
	ZERO2
	KSTART

r1k16:
	VBROADCASTSS (AX), Y15
	VFMADD231PS  (R13), Y15, Y0
	VFMADD231PS  32(R13), Y15, Y1
	KNEXT(r1k16)

	VMOVUPS Y0, (SI)(DX*1)
	VMOVUPS Y1, 32(SI)(DX*1)
	ADDQ    $64, DX
	SUBQ    $16, R14
	JMP     r1tail

r1col8:
	VXORPS Y0, Y0, Y0
	KSTART

r1k8:
	VBROADCASTSS (AX), Y15
	VFMADD231PS  (R13), Y15, Y0
	KNEXT(r1k8)

	VMOVUPS Y0, (SI)(DX*1)
	ADDQ    $32, DX
	SUBQ    $8, R14
	JMP     r1tail

r1narrow:
	CMPQ R14, $1
	JEQ  r1one
	LEAQ    gemmMask<>+32(SB), AX
	MOVQ    R14, CX
	NEGQ    CX
	VMOVDQU (AX)(CX*4), Y15
	VXORPS  Y0, Y0, Y0
	KSTART

r1km:
	VMASKMOVPS   (R13), Y15, Y12
	VBROADCASTSS (AX), Y13
	VFMADD231PS  Y12, Y13, Y0
	KNEXT(r1km)

	VMASKMOVPS Y0, Y15, (SI)
	JMP        r1next

r1one:
	VXORPS X0, X0, X0
	KSTART

r1k1:
	VMOVSS      (R13), X12
	VFMADD231SS (AX), X12, X0
	KNEXT(r1k1)

	VMOVSS X0, (SI)

r1next:
	ADDQ R8, DI
	ADDQ R11, SI
	DECQ m+0(FP)
	JNZ  row1

done:
	VZEROUPPER
	RET

// gemmMask holds eight all-ones lanes then eight zero lanes; the eight
// lanes starting r lanes before the middle mask the first r columns.
DATA gemmMask<>+0(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+8(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+16(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+24(SB)/8, $0xffffffffffffffff
DATA gemmMask<>+32(SB)/8, $0
DATA gemmMask<>+40(SB)/8, $0
DATA gemmMask<>+48(SB)/8, $0
DATA gemmMask<>+56(SB)/8, $0
GLOBL gemmMask<>(SB), RODATA|NOPTR, $64
