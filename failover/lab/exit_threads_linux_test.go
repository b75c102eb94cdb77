package lab

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// leaderExitEnv makes this test binary a process whose main thread exits
// alone while another thread holds an abstract socket: a killed Go node
// looks like this for a moment, its leader a zombie while its other
// threads still close its files.
const leaderExitEnv = "CARPVM_LAB_TEST_LEADER_EXIT"

func init() {
	name := os.Getenv(leaderExitEnv)
	if name == "" {
		return
	}
	// init runs on the main thread (runtime.main locks it there).
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		l, err := net.Listen("unix", name)
		if err != nil {
			os.Exit(3)
		}
		close(ready)
		buf := make([]byte, 1)
		_, _ = syscall.Read(0, buf) // blocks this thread until stdin closes
		_ = l.Close()
		os.Exit(0)
	}()
	<-ready
	os.Stdout.WriteString("ready\n")
	syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0) // this thread only, not the group
}

// A killed multi-threaded process shows its leader as a zombie before its
// last thread has closed the files they share: until then its sockets (a
// node's group lock) are held, and a node restarted by power-on is refused.
func TestExitedWaitsForEveryThread(t *testing.T) {
	name := "@carpvm-lab-test-leader-exit-" + strconv.Itoa(os.Getpid())
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), leaderExitEnv+"="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	pid := cmd.Process.Pid
	for deadline := time.Now().Add(10 * time.Second); procState(pid) != "Z"; {
		if time.Now().After(deadline) {
			t.Fatalf("helper's leader thread never became a zombie (state %q)", procState(pid))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := net.Listen("unix", name); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("the helper's other thread should still hold %s: listen: %v", name, err)
	}
	if exited(pid) {
		t.Errorf("exited(%d) = true while its leader is a zombie and another thread still holds its sockets", pid)
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if !exited(pid) {
		t.Errorf("exited(%d) = false for a reaped process", pid)
	}
}
