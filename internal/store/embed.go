package store

import "unsafe"

// Entries allocated together with bytes: a loader puts a key name and its
// value's bytes (a string, or a packed collection) in the same allocation
// as the entry, as Redis embeds short strings in their object. The sizes
// below make the entry (48 bytes) plus the bytes fill a Go size class
// exactly.

// MaxEmbedded is the most bytes NewEmbedded allocates with the entry.
const MaxEmbedded = 976

// NewEmbedded returns a zero entry and n bytes allocated with it when
// n <= MaxEmbedded (separately otherwise). The bytes are the caller's to
// fill; whatever of them a string or collection keeps must be a slice
// with its capacity clipped, and a key name made of them must never be
// written again. The garbage collector scans only the entry's pointer
// words.
func NewEmbedded(n int) (*Entry, []byte) {
	var e *Entry
	var b []byte
	switch {
	case n <= 16:
		e, b = embed[[16]byte]()
	case n <= 32:
		e, b = embed[[32]byte]()
	case n <= 48:
		e, b = embed[[48]byte]()
	case n <= 64:
		e, b = embed[[64]byte]()
	case n <= 80:
		e, b = embed[[80]byte]()
	case n <= 96:
		e, b = embed[[96]byte]()
	case n <= 112:
		e, b = embed[[112]byte]()
	case n <= 128:
		e, b = embed[[128]byte]()
	case n <= 144:
		e, b = embed[[144]byte]()
	case n <= 160:
		e, b = embed[[160]byte]()
	case n <= 176:
		e, b = embed[[176]byte]()
	case n <= 192:
		e, b = embed[[192]byte]()
	case n <= 208:
		e, b = embed[[208]byte]()
	case n <= 240:
		e, b = embed[[240]byte]()
	case n <= 272:
		e, b = embed[[272]byte]()
	case n <= 304:
		e, b = embed[[304]byte]()
	case n <= 336:
		e, b = embed[[336]byte]()
	case n <= 368:
		e, b = embed[[368]byte]()
	case n <= 400:
		e, b = embed[[400]byte]()
	case n <= 432:
		e, b = embed[[432]byte]()
	case n <= 464:
		e, b = embed[[464]byte]()
	case n <= 528:
		e, b = embed[[528]byte]()
	case n <= 592:
		e, b = embed[[592]byte]()
	case n <= 656:
		e, b = embed[[656]byte]()
	case n <= 720:
		e, b = embed[[720]byte]()
	case n <= 848:
		e, b = embed[[848]byte]()
	case n <= 976:
		e, b = embed[[976]byte]()
	default:
		return &Entry{}, make([]byte, n)
	}
	return e, b[:n:n]
}

// embedded is an entry with room for T's bytes (T is a byte array).
type embedded[T any] struct {
	e Entry
	b T
}

func embed[T any]() (*Entry, []byte) {
	x := new(embedded[T])
	return &x.e, unsafe.Slice((*byte)(unsafe.Pointer(&x.b)), unsafe.Sizeof(x.b))
}
