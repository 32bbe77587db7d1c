// The host facilities the product needs without shelling out: an advisory lock that the kernel releases when
// its holder dies (flock), a directory listed without following a link, and syslog.
#include "host_calls.h"

#include <dirent.h>
#include <fcntl.h>
#include <napi.h>
#include <sys/file.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

Napi::Error ErrnoError(Napi::Env env, const std::string& what, int err) {
  Napi::Error error = Napi::Error::New(env, what + ": " + strerror(err));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("extack", Napi::String::New(env, ""));
  return error;
}

// tryLock(path): the descriptor of the now locked file, or -1 while another process holds it.
// The file is created 0600 and never through a symbolic link.
Napi::Value TryLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw ErrnoError(env, "lock " + path, errno);
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) return Napi::Number::New(env, -1);
    throw ErrnoError(env, "lock " + path, err);
  }
  return Napi::Number::New(env, fd);
}

Napi::Value Unlock(const Napi::CallbackInfo& info) {
  close(info[0].As<Napi::Number>().Int32Value());  // closing the descriptor releases the lock
  return info.Env().Undefined();
}

// listDirectory(path): the names in the directory at path ("." and ".." left out), never through a symbolic link
// at its name (O_NOFOLLOW): none when there is no directory there. One open, and no exception for a directory
// that is not there: src/store lists its directories several times a decision. getdents64 on the descriptor
// itself: readdir's fdopendir would add an fstat and two fcntl calls a listing.
Napi::Value ListDirectory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array names = Napi::Array::New(env);
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return names;
  alignas(dirent64) char buffer[8192];
  uint32_t count = 0;
  ssize_t len;
  while ((len = getdents64(fd, buffer, sizeof(buffer))) > 0) {
    for (ssize_t offset = 0; offset < len;) {
      const dirent64* entry = reinterpret_cast<const dirent64*>(buffer + offset);
      offset += entry->d_reclen;
      if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
        names.Set(count++, Napi::String::New(env, entry->d_name));
    }
  }
  close(fd);
  return names;
}

// syslog(priority, message): daemon facility, tagged redirect-gateway with the pid.
Napi::Value Syslog(const Napi::CallbackInfo& info) {
  static bool opened = false;
  if (!opened) {
    openlog("redirect-gateway", LOG_PID, LOG_DAEMON);
    opened = true;
  }
  std::string message = info[1].As<Napi::String>().Utf8Value();
  syslog(info[0].As<Napi::Number>().Int32Value(), "%s", message.c_str());
  return info.Env().Undefined();
}

}  // namespace

void RegisterHostCalls(Napi::Env env, Napi::Object exports) {
  exports.Set("tryLock", Napi::Function::New(env, TryLock));
  exports.Set("unlock", Napi::Function::New(env, Unlock));
  exports.Set("listDirectory", Napi::Function::New(env, ListDirectory));
  exports.Set("syslog", Napi::Function::New(env, Syslog));
}
