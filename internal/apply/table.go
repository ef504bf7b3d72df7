package apply

// commandTable maps lower-case command names to handlers and Redis
// arities. It is built once and only read afterwards.
var commandTable = map[string]command{
	// Connection, replication and no-ops.
	"select":   {cmdSelect, 2},
	"ping":     {cmdNop, -1},
	"publish":  {cmdNop, 3},
	"spublish": {cmdNop, 3},
	"replconf": {cmdNop, -1},
	"script":   {cmdScript, -2},
	"cluster":  {cmdCluster, -2},
	"multi":    {cmdMultiExec, 1},
	"exec":     {cmdMultiExec, 1},
	"eval":     {cmdEval, -3},
	"evalsha":  {cmdEval, -3},
	"fcall":    {cmdEval, -3},
	"function": {cmdFunction, -2},

	// Strings.
	"set":         {cmdSet, -3},
	"setnx":       {cmdSetNX, 3},
	"setex":       {cmdSetEX, 4},
	"psetex":      {cmdPSetEX, 4},
	"mset":        {cmdMSet, -3},
	"msetnx":      {cmdMSetNX, -3},
	"getset":      {cmdGetSet, 3},
	"getdel":      {cmdGetDel, 2},
	"getex":       {cmdGetEx, -2},
	"append":      {cmdAppend, 3},
	"setrange":    {cmdSetRange, 4},
	"incr":        {cmdIncr, 2},
	"decr":        {cmdDecr, 2},
	"incrby":      {cmdIncrBy, 3},
	"decrby":      {cmdDecrBy, 3},
	"incrbyfloat": {cmdIncrByFloat, 3},

	// Keyspace.
	"del":            {cmdDel, -2},
	"unlink":         {cmdDel, -2},
	"expire":         {cmdExpire, -3},
	"pexpire":        {cmdPExpire, -3},
	"expireat":       {cmdExpireAt, -3},
	"pexpireat":      {cmdPExpireAt, -3},
	"persist":        {cmdPersist, 2},
	"rename":         {cmdRename, 3},
	"renamenx":       {cmdRenameNX, 3},
	"move":           {cmdMove, 3},
	"copy":           {cmdCopy, -3},
	"swapdb":         {cmdSwapDB, 3},
	"flushdb":        {cmdFlushDB, -1},
	"flushall":       {cmdFlushAll, -1},
	"restore":        {cmdRestore, -4},
	"restore-asking": {cmdRestore, -4},

	// Bitmaps and HyperLogLog.
	"setbit":   {cmdSetBit, 4},
	"bitop":    {cmdBitOp, -4},
	"bitfield": {cmdBitfield, -2},
	"pfadd":    {cmdPFAdd, -2},
	"pfcount":  {cmdPFCount, -2},
	"pfmerge":  {cmdPFMerge, -2},
	"pfdebug":  {cmdPFDebug, 3},

	// Geo.
	"geoadd":            {cmdGeoAdd, -5},
	"georadius":         {cmdGeoRadius, -6},
	"georadiusbymember": {cmdGeoRadiusByMember, -5},
	"geosearchstore":    {cmdGeoSearchStore, -8},

	"sort": {cmdSort, -2},

	// Lists.
	"lpush":     {cmdLPush, -3},
	"rpush":     {cmdRPush, -3},
	"lpushx":    {cmdLPushX, -3},
	"rpushx":    {cmdRPushX, -3},
	"lpop":      {cmdLPop, -2},
	"rpop":      {cmdRPop, -2},
	"linsert":   {cmdLInsert, 5},
	"lset":      {cmdLSet, 4},
	"ltrim":     {cmdLTrim, 4},
	"lrem":      {cmdLRem, 4},
	"rpoplpush": {cmdRPopLPush, 3},
	"lmove":     {cmdLMove, 5},

	// Sets.
	"sadd":        {cmdSAdd, -3},
	"srem":        {cmdSRem, -3},
	"smove":       {cmdSMove, 4},
	"spop":        {cmdSPop, -2},
	"sinterstore": {cmdSInterStore, -3},
	"sunionstore": {cmdSUnionStore, -3},
	"sdiffstore":  {cmdSDiffStore, -3},

	// Sorted sets.
	"zadd":             {cmdZAdd, -4},
	"zincrby":          {cmdZIncrBy, 4},
	"zrem":             {cmdZRem, -3},
	"zremrangebyscore": {cmdZRemRangeByScore, 4},
	"zremrangebyrank":  {cmdZRemRangeByRank, 4},
	"zremrangebylex":   {cmdZRemRangeByLex, 4},
	"zpopmin":          {cmdZPopMin, -2},
	"zpopmax":          {cmdZPopMax, -2},
	"zunionstore":      {cmdZUnionStore, -4},
	"zinterstore":      {cmdZInterStore, -4},
	"zdiffstore":       {cmdZDiffStore, -4},
	"zrangestore":      {cmdZRangeStore, -5},

	// Hashes.
	"hset":         {cmdHSet, -4},
	"hmset":        {cmdHSet, -4},
	"hsetnx":       {cmdHSetNX, 4},
	"hdel":         {cmdHDel, -3},
	"hincrby":      {cmdHIncrBy, 4},
	"hincrbyfloat": {cmdHIncrByFloat, 4},

	// Hash field expiration (Redis 7.4+/8.0, Valkey 9).
	"hexpire":    {cmdHExpire, -6},
	"hpexpire":   {cmdHPExpire, -6},
	"hexpireat":  {cmdHExpireAt, -6},
	"hpexpireat": {cmdHPExpireAt, -6},
	"hpersist":   {cmdHPersist, -5},
	"hsetex":     {cmdHSetEx, -6},
	"hgetex":     {cmdHGetEx, -5},
	"hgetdel":    {cmdHGetDel, -5},
	"msetex":     {cmdMSetEx, -4},

	// Streams.
	"xadd":   {cmdXAdd, -5},
	"xdel":   {cmdXDel, -3},
	"xtrim":  {cmdXTrim, -4},
	"xsetid": {cmdXSetID, -3},
	"xgroup": {cmdXGroup, -2},
	"xack":   {cmdXAck, -4},
	"xclaim": {cmdXClaim, -6},
}
