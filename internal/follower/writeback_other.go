//go:build !linux

package follower

import "os"

func startWriteback(*os.File) {}
