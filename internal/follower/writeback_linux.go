package follower

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing f's dirty pages now
// (sync_file_range SYNC_FILE_RANGE_WRITE: it does not wait).
func startWriteback(f *os.File) {
	syscall.SyncFileRange(int(f.Fd()), 0, 0, 2)
}
