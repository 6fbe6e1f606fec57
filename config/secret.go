package config

import (
	"fmt"
	"strings"
)

// maxSecretFileSize bounds what is read from a secret file. IAM tokens are
// up to 100,000 characters; a larger file is a mistake (a path to a device
// or a log file), and reading it whole could hang or exhaust memory.
const maxSecretFileSize = 256 << 10

// ReadSecretFile returns the content of a file holding a password, key or
// token (password_file, token_file, secret_key_file, security_token_file),
// without its line ending. It is the one reader of those files: Validate
// uses it so that a missing secret is reported at load time, and package
// auth so that a rotated one is picked up at run time. Its errors name the
// file, never the content.
func ReadSecretFile(path string) (string, error) {
	b, err := readBounded(path, maxSecretFileSize, "256 KiB")
	if err != nil {
		return "", err
	}
	// Only the line ending is cut: a password may begin or end with a space.
	s := strings.TrimRight(string(b), "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// checkSecretFile reports a secret file that cannot be read or is empty.
// The content itself never appears in the error.
func checkSecretFile(path, filename string) error {
	if _, err := ReadSecretFile(filename); err != nil {
		return fieldErr(path, "%v", err)
	}
	return nil
}
