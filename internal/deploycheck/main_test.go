package deploycheck

import (
	"os"
	"testing"

	"github.com/carpvm/carpvm/internal/testbin"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
