package lsp

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// text is a document's content with its line starts, for converting between
// byte offsets (go/token) and LSP positions (line, UTF-16 code unit).
type text struct {
	src   []byte
	lines []int // byte offset of each line's start
}

func newText(src []byte) *text {
	t := &text{src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	return t
}

// position converts a byte offset to an LSP position; offsets past the end
// are clamped so that a stale position never produces an invalid range.
func (t *text) position(off int) protocol.Position {
	off = max(0, min(off, len(t.src)))
	line := 0
	lo, hi := 0, len(t.lines)-1
	for lo <= hi { // last line start <= off
		m := (lo + hi) / 2
		if t.lines[m] <= off {
			line, lo = m, m+1
		} else {
			hi = m - 1
		}
	}
	return protocol.Position{Line: uint32(line), Character: uint32(utf16Len(t.src[t.lines[line]:off]))}
}

// lineColOffset converts go/token's 1-based line and byte column to an
// offset, clamped to the line.
func (t *text) lineColOffset(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(t.lines) {
		return len(t.src)
	}
	start := t.lines[line-1]
	end := len(t.src)
	if line < len(t.lines) {
		end = t.lines[line] - 1
	}
	return min(start+max(col-1, 0), end)
}

// offset converts an LSP position to a byte offset; ok is false if the
// position is outside the document.
func (t *text) offset(p protocol.Position) (int, bool) {
	if int(p.Line) >= len(t.lines) {
		return 0, false
	}
	start := t.lines[p.Line]
	end := len(t.src)
	if int(p.Line)+1 < len(t.lines) {
		end = t.lines[p.Line+1] - 1
	}
	units := 0
	for i := start; i < end; {
		if units >= int(p.Character) {
			return i, true
		}
		r, size := utf8.DecodeRune(t.src[i:end])
		if r == utf8.RuneError && size == 1 {
			units++
		} else {
			units += utf16.RuneLen(r)
		}
		i += size
	}
	if units == int(p.Character) {
		return end, true
	}
	return 0, false
}

// wordEnd is the end of the selector expression starting at off ("stats.bytes",
// "reallyClearConnection"), so that a diagnostic covers the name it is about.
func (t *text) wordEnd(off int) int {
	i := off
	for i < len(t.src) {
		r, size := utf8.DecodeRune(t.src[i:])
		if r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != utf8.RuneError {
			i += size
			continue
		}
		break
	}
	for i > off && t.src[i-1] == '.' {
		i--
	}
	if i == off && i < len(t.src) && !bytes.ContainsAny(t.src[i:i+1], "\n") {
		i++ // never an empty range: editors hide those
	}
	return i
}

// wordStart is the start of the selector expression ending at off
// ("l.reallyClearConnection" before a parenthesis).
func (t *text) wordStart(off int) int {
	i := off
	for i > 0 {
		r, size := utf8.DecodeLastRune(t.src[:i])
		if r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && r != utf8.RuneError {
			i -= size
			continue
		}
		break
	}
	return i
}

func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			n++ // an invalid byte is one unit, as editors decode it
		} else {
			n += utf16.RuneLen(r)
		}
		b = b[size:]
	}
	return n
}
