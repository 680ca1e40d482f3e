#include "textflag.h"

// func indexSpecial(b []byte) int
//
// The index of the first byte of b that is '"', '\\' or below 0x20, len(b)
// when none is. SSE2, which every amd64 processor has: 32 bytes a round
// while 32 remain, then 16, then one at a time.
TEXT ·indexSpecial(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	MOVQ SI, DI              // DI: start of b
	LEAQ (SI)(BX*1), R8      // R8: end of b

	MOVQ $0x2222222222222222, AX
	MOVQ AX, X1
	PUNPCKLQDQ X1, X1        // X1: '"' in every byte
	MOVQ $0x5c5c5c5c5c5c5c5c, AX
	MOVQ AX, X2
	PUNPCKLQDQ X2, X2        // X2: '\\' in every byte
	MOVQ $0x1f1f1f1f1f1f1f1f, AX
	MOVQ AX, X3
	PUNPCKLQDQ X3, X3        // X3: 0x1f in every byte

loop32:
	LEAQ 32(SI), AX
	CMPQ AX, R8
	JA   loop16
	MOVOU (SI), X0
	MOVOU 16(SI), X8
	MOVO X0, X4
	PCMPEQB X1, X4           // X4: x == '"'
	MOVO X0, X5
	PCMPEQB X2, X5           // X5: x == '\\'
	POR  X5, X4
	MOVO X0, X6
	PMINUB X3, X6
	PCMPEQB X0, X6           // X6: min(x, 0x1f) == x, that is x <= 0x1f
	POR  X6, X4
	MOVO X8, X9
	PCMPEQB X1, X9
	MOVO X8, X10
	PCMPEQB X2, X10
	POR  X10, X9
	MOVO X8, X11
	PMINUB X3, X11
	PCMPEQB X8, X11
	POR  X11, X9
	PMOVMSKB X4, AX
	PMOVMSKB X9, CX
	SHLQ $16, CX
	ORQ  CX, AX
	TESTQ AX, AX
	JNZ  found
	ADDQ $32, SI
	JMP  loop32

loop16:
	LEAQ 16(SI), AX
	CMPQ AX, R8
	JA   tail
	MOVOU (SI), X0
	MOVO X0, X4
	PCMPEQB X1, X4
	MOVO X0, X5
	PCMPEQB X2, X5
	POR  X5, X4
	MOVO X0, X6
	PMINUB X3, X6
	PCMPEQB X0, X6
	POR  X6, X4
	PMOVMSKB X4, AX
	TESTQ AX, AX
	JNZ  found
	ADDQ $16, SI

tail:
	CMPQ SI, R8
	JAE  none
	MOVBLZX (SI), AX
	CMPB AL, $0x22
	JEQ  here
	CMPB AL, $0x5c
	JEQ  here
	CMPB AL, $0x20
	JB   here
	INCQ SI
	JMP  tail

found:
	BSFQ AX, AX
	SUBQ DI, SI
	ADDQ SI, AX
	MOVQ AX, ret+24(FP)
	RET

here:
	SUBQ DI, SI
	MOVQ SI, ret+24(FP)
	RET

none:
	MOVQ BX, ret+24(FP)
	RET
