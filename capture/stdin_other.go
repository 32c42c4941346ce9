//go:build !unix

package capture

import (
	"io"
	"os"
)

func openStdin() (io.Reader, func(), func()) { return os.Stdin, nil, func() {} }
