package store

// MODULE_AUX records: module data that belongs to no key (RDB opcode 247,
// written by modules with aux_save, before or after the keyspace). The
// follower cannot interpret them; it keeps the records of the last full
// sync or snapshot so that its own snapshots write them back
// byte-identical for a server that has the module.

// ModuleAux returns the raw MODULE_AUX records in file order: each is
// what followed the opcode byte (module ID, the "when" field, the
// module's serialized data, the module EOF opcode). The slices are views
// owned by the store.
func (s *Store) ModuleAux() [][]byte { return s.moduleAux }

// SetModuleAux replaces the MODULE_AUX records (owned by the store).
func (s *Store) SetModuleAux(records [][]byte) { s.moduleAux = records }
