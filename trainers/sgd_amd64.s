#include "textflag.h"

// func sgdAVX(nw, w, grad *float32, n int, lr float64) float64
//
// Four weights an iteration: w and g widened to float64 (exact), lr·g
// (VMULPD, rounded once), w − lr·g (VSUBPD, rounded once), narrowed to
// float32 (VCVTPD2PS, to nearest as Go's conversion): Go's arithmetic for
// W(float64(w) - lr*float64(g)), no fused multiply-add. Each new weight,
// widened again, adds v − v to the sum: 0 for a finite v, NaN otherwise.
// Operand order is Go's assembler's: "VSUBPD b, a, dst" sets dst = a − b.
TEXT ·sgdAVX(SB), NOSPLIT, $0-48
	MOVQ         nw+0(FP), DI
	MOVQ         w+8(FP), SI
	MOVQ         grad+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD lr+32(FP), Y4
	VXORPD       Y5, Y5, Y5

loop:
	VCVTPS2PD  (SI), Y0
	VCVTPS2PD  (DX), Y1
	VMULPD     Y4, Y1, Y1
	VSUBPD     Y1, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMOVUPS    X0, (DI)
	VCVTPS2PD  X0, Y0
	VSUBPD     Y0, Y0, Y0
	VADDPD     Y0, Y5, Y5
	ADDQ       $16, SI
	ADDQ       $16, DX
	ADDQ       $16, DI
	SUBQ       $4, CX
	JNZ        loop

	VEXTRACTF128 $1, Y5, X6
	VADDPD       X6, X5, X5
	VUNPCKHPD    X5, X5, X6
	VADDSD       X6, X5, X5
	VMOVSD       X5, ret+40(FP)
	VZEROUPPER
	RET
