package store

// Module is a module value the follower cannot interpret (RDB type 7,
// MODULE_2). It is kept as the exact serialized bytes so a later snapshot
// writes it back byte-identical; reads on it answer an error naming TypeName.
type Module struct {
	// TypeName is the 9-character module type name decoded from ModuleID.
	TypeName string
	// ModuleID is the 64-bit module type id (name and encoding version).
	ModuleID uint64
	// Raw is the serialized value exactly as it followed the RDB type byte
	// (the module id length-encoding included), ending with the EOF opcode.
	Raw []byte
}
