#include "sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "namespace_helper.h"

namespace {

bool ValidName(const std::string& name) {
  if (name.compare(0, 4, "net/") != 0 || name.size() > 255 || name.back() == '/') return false;
  size_t part = 0;  // where the current path part began
  for (size_t i = 0; i <= name.size(); i++) {
    if (i == name.size() || name[i] == '/') {
      const std::string p = name.substr(part, i - part);
      if (p.empty() || p == "." || p == "..") return false;
      part = i + 1;
      continue;
    }
    const char c = name[i];
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  }
  return true;
}

NlError OpenSysctl(int ns_fd, const std::string& name, int flags, int* fd) {
  if (!ValidName(name)) return NlError{EINVAL, "not a setting under net/: " + name};
  const std::string path = "/proc/sys/" + name;
  return RunInNamespace(
      ns_fd,
      [&path, flags](int* out) {
        *out = open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW);
        return *out < 0 ? Errno(path.c_str()) : NlError{};
      },
      fd);
}

}  // namespace

NlError ReadSysctl(int ns_fd, const std::string& name, std::string* value) {
  int fd = -1;
  NlError err = OpenSysctl(ns_fd, name, O_RDONLY, &fd);
  if (err.err) return err;
  value->clear();
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = Errno(("read /proc/sys/" + name).c_str());
    if (n <= 0) break;
    value->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  if (!value->empty() && value->back() == '\n') value->pop_back();
  return err;
}

NlError WriteSysctl(int ns_fd, const std::string& name, const std::string& value) {
  int fd = -1;
  NlError err = OpenSysctl(ns_fd, name, O_WRONLY, &fd);
  if (err.err) return err;
  const std::string text = value + "\n";
  ssize_t n;
  do n = write(fd, text.data(), text.size());
  while (n < 0 && errno == EINTR);
  if (n < 0)
    err = Errno(("write /proc/sys/" + name).c_str());
  else if (static_cast<size_t>(n) != text.size())
    err = NlError{EIO, "short write to /proc/sys/" + name};
  close(fd);
  return err;
}
