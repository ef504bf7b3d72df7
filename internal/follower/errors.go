package follower

import (
	"errors"

	"github.com/redis-follower/redis-follower/internal/psync"
)

// FatalError stops the follower: retrying cannot help.
type FatalError struct{ Err error }

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// IsFatal reports whether err should stop the follower.
func IsFatal(err error) bool {
	var fe *FatalError
	return errors.As(err, &fe) || psync.ClassOf(err) == psync.Fatal
}

// DiskError is a failed write to the data directory (disk full, read-only
// or unwritable directory, failed fsync). The follower stops reading from
// the master rather than lose or corrupt bytes, waits until the directory
// takes writes again, and resumes from its last durable position.
type DiskError struct{ Err error }

func (e *DiskError) Error() string {
	return "data directory write failed (disk full or not writable?): " + e.Err.Error()
}
func (e *DiskError) Unwrap() error { return e.Err }

// IsDisk reports whether err is a data-directory write failure.
func IsDisk(err error) bool {
	var de *DiskError
	return errors.As(err, &de)
}

// disk wraps err (if any) as a *DiskError.
func disk(err error) error {
	if err == nil || IsDisk(err) {
		return err
	}
	return &DiskError{err}
}
