//go:build !race

package rdbload

const raceEnabled = false
