#include "textflag.h"

// func copyRowsAVX(dst, src *float32, rows, w, ldd, lds int)
// Copies rows ≥ 1 rows of w ≥ 8 floats, row r from src + r·lds to
// dst + r·ldd: eight at a time, the last eight of a row ending at w (a
// block that overlaps the one before is written again with the same
// values). dst and src must not overlap.
TEXT ·copyRowsAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ w+24(FP), R10
	MOVQ ldd+32(FP), R8
	MOVQ lds+40(FP), R9
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	SUBQ $32, R10 // byte offset of a row's last block

row:
	XORQ BX, BX
	CMPQ BX, R10
	JGE  last

block:
	VMOVUPS (SI)(BX*1), Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, R10
	JLT     block

last:
	VMOVUPS (SI)(R10*1), Y0
	VMOVUPS Y0, (DI)(R10*1)
	ADDQ    R9, SI
	ADDQ    R8, DI
	DECQ    CX
	JNZ     row
	VZEROUPPER
	RET

// func addZeroRowsAVX(dst, src *float32, rows, w, ldd, lds int)
// copyRowsAVX writing src + 0 (VADDPS with a zeroed register): −0 becomes
// +0. A block that overlaps the one before reads src again, so it writes
// the same values.
TEXT ·addZeroRowsAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), CX
	MOVQ w+24(FP), R10
	MOVQ ldd+32(FP), R8
	MOVQ lds+40(FP), R9
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	SUBQ $32, R10 // byte offset of a row's last block
	VXORPS Y1, Y1, Y1

zrow:
	XORQ BX, BX
	CMPQ BX, R10
	JGE  zlast

zblock:
	VADDPS  (SI)(BX*1), Y1, Y0
	VMOVUPS Y0, (DI)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, R10
	JLT     zblock

zlast:
	VADDPS  (SI)(R10*1), Y1, Y0
	VMOVUPS Y0, (DI)(R10*1)
	ADDQ    R9, SI
	ADDQ    R8, DI
	DECQ    CX
	JNZ     zrow
	VZEROUPPER
	RET
