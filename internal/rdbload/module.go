package rdbload

import (
	"strconv"

	"github.com/redis-follower/redis-follower/internal/rdb"
	"github.com/redis-follower/redis-follower/internal/store"
)

// readModule reads a MODULE_2 value, keeping its exact bytes after the
// type byte (module ID included, module EOF opcode last).
func (d *decoder) readModule() (*store.Entry, error) {
	d.rd.startCapture()
	id, err := d.readLength()
	if err == nil {
		err = d.skipModuleOpcodes()
	}
	raw := d.rd.endCapture()
	if err != nil {
		return nil, err
	}
	return store.NewModuleEntry(&store.Module{TypeName: rdb.ModuleTypeName(id), ModuleID: id, Raw: raw}), nil
}

// skipModuleOpcodes walks module-serialized data (each item announced by
// a module opcode) up to and including the module EOF opcode.
func (d *decoder) skipModuleOpcodes() error {
	for {
		op, err := d.readLength()
		if err != nil {
			return err
		}
		switch op {
		case rdb.ModuleOpEOF:
			return nil
		case rdb.ModuleOpSInt, rdb.ModuleOpUInt:
			if _, _, err := d.readLen(); err != nil {
				return err
			}
		case rdb.ModuleOpFloat:
			if _, err := d.rd.view(4); err != nil {
				return err
			}
		case rdb.ModuleOpDouble:
			if _, err := d.rd.view(8); err != nil {
				return err
			}
		case rdb.ModuleOpString:
			if err := d.skipString(); err != nil {
				return err
			}
		default:
			return corrupt("unknown module opcode " + strconv.FormatUint(op, 10))
		}
	}
}

// moduleAux reads a MODULE_AUX record (module ID, when-opcode, when, then
// module-serialized data) and hands its raw bytes to the handler.
func (d *decoder) moduleAux() error {
	d.rd.startCapture()
	err := d.moduleAuxBody()
	raw := d.rd.endCapture()
	if err != nil {
		return d.wrap(err, "reading a MODULE_AUX record")
	}
	d.info.ModuleAux = append(d.info.ModuleAux, raw)
	if err := d.h.ModuleAux(raw); err != nil {
		return d.wrap(err, "handler refused a MODULE_AUX record")
	}
	return nil
}

func (d *decoder) moduleAuxBody() error {
	if _, err := d.readLength(); err != nil { // module ID
		return err
	}
	whenOp, err := d.readLength()
	if err != nil {
		return err
	}
	if whenOp != rdb.ModuleOpUInt {
		return corrupt("MODULE_AUX when-opcode is " + strconv.FormatUint(whenOp, 10) + ", expected 2")
	}
	if _, err := d.readLength(); err != nil { // when
		return err
	}
	return d.skipModuleOpcodes()
}
