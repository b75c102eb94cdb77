package sim

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/carpvm/carpvm/internal/atomicfile"
)

// CertificatePath is where WriteCredentials puts the server's certificate
// for the credentials file at path: path with its .env suffix replaced by
// .pem.
func CertificatePath(path string) string {
	return strings.TrimSuffix(path, ".env") + ".pem"
}

// WriteCredentials writes the login as the variables govc reads, for
// govc and carpvm alike (`set -a; . FILE; set +a`): GOVC_URL,
// GOVC_USERNAME, GOVC_PASSWORD and GOVC_TLS_CA_CERTS, which names the
// server's self-signed certificate, written beside it
// (CertificatePath(path)), so that both verify the server instead of
// skipping verification. Both files are readable by their owner only.
func (s *Server) WriteCredentials(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sim: credentials file: %w", err)
	}
	ca := CertificatePath(path)
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate.Raw})
	if err := atomicfile.WriteFile(ca, cert, 0o600); err != nil {
		return fmt.Errorf("sim: certificate file: %w", err)
	}
	body := fmt.Sprintf("GOVC_URL=%s\nGOVC_USERNAME=%s\nGOVC_PASSWORD=%s\nGOVC_TLS_CA_CERTS=%s\n",
		s.URL, s.Username, s.Password.Reveal(), shellQuote(ca))
	if err := atomicfile.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("sim: credentials file: %w", err)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it (a state
// directory with a space in its path).
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:+@,", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
