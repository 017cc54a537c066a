#include "textflag.h"
#include "gemm_amd64.h"

// func gemmAVX512(m, n, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acs int)
//
// gemmAVX2's product in 512-bit AVX-512F registers, for m a multiple of
// four (m >= 4; the Go caller gives gemmAVX2 the last m%4 rows), n, k >= 1
// and every row in bounds. The contract is gemmAVX2's: a[i][l] is at a +
// 4·(i·lda + l·acs), read one element at a time (broadcasts), and each
// c[i][j] is accumulated over l = 0..k-1 in order, one FMA per step,
// starting from zero, so the result is gemmAVX2's bit for bit.
//
// Rows go in blocks of four, columns in blocks of up to 48 (three vectors
// of 16: 12 accumulators). A block of c < 48 columns, the last of a row
// block, uses ceil(c/16) vectors, the last of them with c%16 lanes (16 if
// none) loaded zero-masked from b and stored masked to c through K1;
// masked lanes are never read or written in memory.
//
// Registers:
//	DI  a, first row of the current row block
//	SI  c, first row of the current row block
//	R8  lda in bytes, R9 3·lda in bytes
//	R15 acs in bytes, the step of the a pointer from l to l+1 (free even
//	    when dynamic linking: the one global access, LEAQ of gemmK's
//	    address, loads the address straight into AX)
//	R10 ldb in bytes
//	R11 ldc in bytes, R12 3·ldc in bytes
//	R14 columns left in the current row block
//	DX  byte offset of the current column block
//	BX  columns in the current block (1..48)
//	AX  a pointer in the k loop, then c pointer for the stores
//	R13 b pointer in the k loop
//	CX  k loop counter
//	K1  lanes of the block's last vector
//	Z15 broadcast a value


// ZERO4, ZERO8 and ZERO12 clear the accumulators Z0–Z3, Z0–Z7, Z0–Z11.
#define ZERO4 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3

#define ZERO8 \
	ZERO4; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define ZERO12 \
	ZERO8; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11

#define FMA3(c0, c1, c2) \
	VFMADD231PS Z12, Z15, c0; \
	VFMADD231PS Z13, Z15, c1; \
	VFMADD231PS Z14, Z15, c2

#define FMA2(c0, c1) \
	VFMADD231PS Z12, Z15, c0; \
	VFMADD231PS Z13, Z15, c1

TEXT ·gemmAVX512(SB), NOSPLIT, $0-80
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

rows4:
	XORQ DX, DX
	MOVQ n+8(FP), R14

block:
	// BX = min(R14, 48) columns; K1 = the lanes of the last vector.
	MOVQ    $48, BX
	CMPQ    R14, BX
	CMOVQLT R14, BX
	LEAQ    -1(BX), CX
	ANDQ    $15, CX
	LEAQ    gemmK<>(SB), AX
	MOVWLZX (AX)(CX*2), CX
	KMOVW   CX, K1
	CMPQ    BX, $32
	JG      v3
	CMPQ    BX, $16
	JG      v2

v1:
	ZERO4
	KSTART

k1:
	VMOVUPS.Z    (R13), K1, Z12
	VBROADCASTSS (AX), Z15
	VFMADD231PS  Z12, Z15, Z0
	VBROADCASTSS (AX)(R8*1), Z15
	VFMADD231PS  Z12, Z15, Z1
	VBROADCASTSS (AX)(R8*2), Z15
	VFMADD231PS  Z12, Z15, Z2
	VBROADCASTSS (AX)(R9*1), Z15
	VFMADD231PS  Z12, Z15, Z3
	KNEXT(k1)

	LEAQ    (SI)(DX*1), AX
	VMOVUPS Z0, K1, (AX)
	VMOVUPS Z1, K1, (AX)(R11*1)
	VMOVUPS Z2, K1, (AX)(R11*2)
	VMOVUPS Z3, K1, (AX)(R12*1)
	JMP     next

v2:
	ZERO8
	KSTART

k2:
	VMOVUPS      (R13), Z12
	VMOVUPS.Z    64(R13), K1, Z13
	VBROADCASTSS (AX), Z15
	FMA2(Z0, Z1)
	VBROADCASTSS (AX)(R8*1), Z15
	FMA2(Z2, Z3)
	VBROADCASTSS (AX)(R8*2), Z15
	FMA2(Z4, Z5)
	VBROADCASTSS (AX)(R9*1), Z15
	FMA2(Z6, Z7)
	KNEXT(k2)

	LEAQ    (SI)(DX*1), AX
	VMOVUPS Z0, (AX)
	VMOVUPS Z1, K1, 64(AX)
	VMOVUPS Z2, (AX)(R11*1)
	VMOVUPS Z3, K1, 64(AX)(R11*1)
	VMOVUPS Z4, (AX)(R11*2)
	VMOVUPS Z5, K1, 64(AX)(R11*2)
	VMOVUPS Z6, (AX)(R12*1)
	VMOVUPS Z7, K1, 64(AX)(R12*1)
	JMP     next

v3:
	ZERO12
	KSTART

k3:
	VMOVUPS      (R13), Z12
	VMOVUPS      64(R13), Z13
	VMOVUPS.Z    128(R13), K1, Z14
	VBROADCASTSS (AX), Z15
	FMA3(Z0, Z1, Z2)
	VBROADCASTSS (AX)(R8*1), Z15
	FMA3(Z3, Z4, Z5)
	VBROADCASTSS (AX)(R8*2), Z15
	FMA3(Z6, Z7, Z8)
	VBROADCASTSS (AX)(R9*1), Z15
	FMA3(Z9, Z10, Z11)
	KNEXT(k3)

	LEAQ    (SI)(DX*1), AX
	VMOVUPS Z0, (AX)
	VMOVUPS Z1, 64(AX)
	VMOVUPS Z2, K1, 128(AX)
	VMOVUPS Z3, (AX)(R11*1)
	VMOVUPS Z4, 64(AX)(R11*1)
	VMOVUPS Z5, K1, 128(AX)(R11*1)
	VMOVUPS Z6, (AX)(R11*2)
	VMOVUPS Z7, 64(AX)(R11*2)
	VMOVUPS Z8, K1, 128(AX)(R11*2)
	VMOVUPS Z9, (AX)(R12*1)
	VMOVUPS Z10, 64(AX)(R12*1)
	VMOVUPS Z11, K1, 128(AX)(R12*1)

next:
	// The next column block, else the next row block.
	LEAQ (DX)(BX*4), DX
	SUBQ BX, R14
	JNZ  block
	LEAQ (DI)(R8*4), DI
	LEAQ (SI)(R11*4), SI
	MOVQ m+0(FP), CX
	SUBQ $4, CX
	MOVQ CX, m+0(FP)
	JNZ  rows4

	VZEROUPPER
	RET

// gemmK holds the masks of the first 1..16 lanes: entry r-1 has r bits.
DATA gemmK<>+0(SB)/2, $0x0001
DATA gemmK<>+2(SB)/2, $0x0003
DATA gemmK<>+4(SB)/2, $0x0007
DATA gemmK<>+6(SB)/2, $0x000f
DATA gemmK<>+8(SB)/2, $0x001f
DATA gemmK<>+10(SB)/2, $0x003f
DATA gemmK<>+12(SB)/2, $0x007f
DATA gemmK<>+14(SB)/2, $0x00ff
DATA gemmK<>+16(SB)/2, $0x01ff
DATA gemmK<>+18(SB)/2, $0x03ff
DATA gemmK<>+20(SB)/2, $0x07ff
DATA gemmK<>+22(SB)/2, $0x0fff
DATA gemmK<>+24(SB)/2, $0x1fff
DATA gemmK<>+26(SB)/2, $0x3fff
DATA gemmK<>+28(SB)/2, $0x7fff
DATA gemmK<>+30(SB)/2, $0xffff
GLOBL gemmK<>(SB), RODATA|NOPTR, $32
