package rdbload

import (
	"io"

	"github.com/redis-follower/redis-follower/internal/store"
)

// Load decodes a whole RDB from r into a new store. It verifies the
// header, every structure, the trailing CRC-64 (a stored CRC of 0 means
// "rdbchecksum no" and is accepted) and that r ends right after the CRC.
// On any error the store is nil: never a partial load.
func Load(r io.Reader, opts Options) (*store.Store, *Info, error) {
	l := &loader{s: store.New()}
	l.cur = l.s.DB(0)
	info, err := Decode(r, l, opts)
	if err != nil {
		return nil, nil, err
	}
	return l.s, info, nil
}

// loader is the Handler that fills a store.
type loader struct {
	s     *store.Store
	cur   *store.DB
	curDB int
}

func (l *loader) Aux(key, value string) error { return nil }

func (l *loader) SelectDB(db int) error {
	d := l.s.DB(db)
	if d == nil {
		return corrupt("database index out of range")
	}
	l.cur, l.curDB = d, db
	return nil
}

func (l *loader) Function(name string, code []byte) error {
	if _, ok := l.s.Function(name); ok {
		return corrupt("duplicate function library " + quoteShort([]byte(name)))
	}
	l.s.SetFunction(name, code)
	return nil
}

// ModuleAux keeps the raw record in the store, in file order, so that a
// snapshot writes it back (rdbsave).
func (l *loader) ModuleAux(raw []byte) error {
	l.s.SetModuleAux(append(l.s.ModuleAux(), raw))
	return nil
}

// maxPresize bounds how many keys a RESIZEDB hint may make us reserve room
// for before they arrive (a corrupt hint must not allocate gigabytes).
const maxPresize = 1 << 22

// ResizeDB reserves room for the keys the RESIZEDB hint announces, which
// spares the keyspace map its repeated growth during a large load.
func (l *loader) ResizeDB(db int, keys uint64) {
	if d := l.s.DB(db); d != nil {
		d.Reserve(int(min(keys, maxPresize)))
	}
}

func (l *loader) Key(db int, key string, e *store.Entry, _ KeyMeta) error {
	if db != l.curDB {
		if err := l.SelectDB(db); err != nil {
			return err
		}
	}
	n := l.cur.Len()
	l.cur.PutString(key, e)
	if l.cur.Len() == n {
		return corrupt("duplicate key in the RDB")
	}
	return nil
}
