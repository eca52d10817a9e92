package score

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

var pageSize = int64(os.Getpagesize())

// TreeRSSMB sums the resident set of pid and all its descendants, in MiB,
// as the runner does with ps over the server's process tree. Processes that
// exit during the walk are skipped. A missing root process reads as 0.
func TreeRSSMB(pid int) (float64, error) {
	if pid <= 0 {
		return 0, nil
	}
	children, err := childrenMap()
	if err != nil {
		return 0, err
	}
	var total int64
	seen := map[int]bool{}
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		total += rssBytes(p)
		queue = append(queue, children[p]...)
	}
	return float64(total) / (1 << 20), nil
}

// childrenMap reads the parent of every process from /proc/*/stat.
func childrenMap() (map[int][]int, error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("process tree: %w", err)
	}
	m := map[int][]int{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		// The command name is in parentheses and may hold spaces: parse after the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		m[ppid] = append(m[ppid], pid)
	}
	return m, nil
}

func rssBytes(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * pageSize
}

// ListenerPID finds the process holding a listening TCP socket on port, so
// --endpoint runs can still measure the server's RAM. 0 when not found
// (another user's process, another machine, or a container boundary).
func ListenerPID(port int) int {
	inodes := map[string]bool{}
	for _, tbl := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(tbl)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			// sl local_address rem_address st ... inode(9)
			if len(fs) < 10 || fs[3] != "0A" {
				continue
			}
			j := strings.LastIndexByte(fs[1], ':')
			if j < 0 {
				continue
			}
			if p, err := strconv.ParseInt(fs[1][j+1:], 16, 32); err == nil && int(p) == port {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
		f.Close()
	}
	if len(inodes) == 0 {
		return 0
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", d.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc", d.Name(), "fd", fd.Name())); err == nil && inodes[l] {
				return pid
			}
		}
	}
	return 0
}
