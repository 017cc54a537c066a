// The k loop of the product kernels (gemm_amd64.s, gemm512_amd64.s),
// with their register use: DI a's block row, DX the column block's byte
// offset in b, R15 a's step from l to l+1 and R10 b's, in bytes; the loop
// keeps the a pointer in AX, the b pointer in R13 and the count in CX.

// KSTART points AX at a's block row, R13 at b's column block and CX at k.
#define KSTART \
	MOVQ DI, AX; \
	MOVQ b+40(FP), R13; \
	ADDQ DX, R13; \
	MOVQ k+16(FP), CX

// KNEXT steps to the next l and loops back to label lp while l < k.
#define KNEXT(lp) \
	ADDQ R15, AX; \
	ADDQ R10, R13; \
	DECQ CX; \
	JNZ  lp
