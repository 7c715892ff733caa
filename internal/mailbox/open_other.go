//go:build !unix

package mailbox

import "os"

type fdFile = os.File

func openFile(path string) (*fdFile, error) { return os.Open(path) }
