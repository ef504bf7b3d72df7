package rdb

// Object types (the byte before a key). Types 22 and 23 mean different
// things by header: Redis 7.4 release candidates used them for hashes with
// field TTLs; Valkey 9 (RDB 80, "VALKEY" magic) uses 22 for HASH_2.
const (
	TypeString              = 0
	TypeList                = 1
	TypeSet                 = 2
	TypeZSet                = 3
	TypeHash                = 4
	TypeZSet2               = 5
	TypeModulePreGA         = 6
	TypeModule2             = 7
	TypeHashZipmap          = 9
	TypeListZiplist         = 10
	TypeSetIntset           = 11
	TypeZSetZiplist         = 12
	TypeHashZiplist         = 13
	TypeListQuicklist       = 14
	TypeStreamListpacks     = 15
	TypeHashListpack        = 16
	TypeZSetListpack        = 17
	TypeListQuicklist2      = 18
	TypeStreamListpacks2    = 19
	TypeSetListpack         = 20
	TypeStreamListpacks3    = 21
	TypeHashMetadataPreGA   = 22 // Redis 7.4 RC
	TypeHashListpackExPreGA = 23 // Redis 7.4 RC
	TypeHashMetadata        = 24
	TypeHashListpackEx      = 25
	TypeValkeyHash2         = 22 // Valkey 9, RDB 80 only
)

// Opcodes.
const (
	OpSlotImport    = 243 // Valkey 9 (RDB 80); Redis 8.6 uses 243 for KEY_META
	OpSlotInfo      = 244
	OpFunction2     = 245
	OpFunctionPreGA = 246
	OpModuleAux     = 247
	OpIdle          = 248
	OpFreq          = 249
	OpAux           = 250
	OpResizeDB      = 251
	OpExpireTimeMs  = 252
	OpExpireTime    = 253
	OpSelectDB      = 254
	OpEOF           = 255
)

// Length encodings (the top two bits of the first byte).
const (
	Len6Bit   = 0
	Len14Bit  = 1
	Len32or64 = 2
	LenEncVal = 3
	Len32Bit  = 0x80
	Len64Bit  = 0x81
)

// Special string encodings (LenEncVal with these low 6 bits).
const (
	EncInt8  = 0
	EncInt16 = 1
	EncInt32 = 2
	EncLZF   = 3
)

// Module opcodes inside MODULE_2 values and MODULE_AUX.
const (
	ModuleOpEOF    = 0
	ModuleOpSInt   = 1
	ModuleOpUInt   = 2
	ModuleOpFloat  = 3
	ModuleOpDouble = 4
	ModuleOpString = 5
)

// Quicklist 2 node containers.
const (
	QuicklistNodePlain  = 1
	QuicklistNodePacked = 2
)

// Versions.
const (
	// MaxRedisVersion is the newest "REDIS" RDB version the project reads.
	MaxRedisVersion = 12
	// ValkeyVersion80 is Valkey 9's RDB version ("VALKEY080").
	ValkeyVersion80 = 80
)
