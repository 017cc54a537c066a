package simd

//go:noescape
func sigmoidAVX2(dst, x *float32, n int)

//go:noescape
func tanhAVX2(dst, x *float32, n int)

// sigmoidAVX512 and tanhAVX512 are sigmoidAVX2 and tanhAVX2 sixteen lanes
// at a time (the end of act_amd64.s), for n a positive multiple of 16: the same
// operations on each lane, the same bits.
//
//go:noescape
func sigmoidAVX512(dst, x *float32, n int)

//go:noescape
func tanhAVX512(dst, x *float32, n int)
