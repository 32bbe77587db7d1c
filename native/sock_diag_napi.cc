#include "sock_diag_napi.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "address_text.h"
#include "napi_errors.h"
#include "sock_diag_operations.h"

namespace {

std::vector<uint8_t> Bytes(Napi::Array list) {
  std::vector<uint8_t> out(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++)
    out[i] = static_cast<uint8_t>(list.Get(i).As<Napi::Number>().Uint32Value());
  return out;
}

std::string Text(uint8_t family, const uint32_t* address) {
  std::string text;
  AppendAddress(&text, family, reinterpret_cast<const uint8_t*>(address));
  return text;
}

Napi::Object SocketToJs(Napi::Env env, const DiagSocket& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", s.family);
  o.Set("protocol", s.protocol);
  o.Set("state", s.state);
  o.Set("local", Text(s.family, s.id.idiag_src));
  o.Set("localPort", ntohs(s.id.idiag_sport));
  o.Set("remote", Text(s.family, s.id.idiag_dst));
  o.Set("remotePort", ntohs(s.id.idiag_dport));
  o.Set("uid", s.uid);
  o.Set("inode", s.inode);
  Napi::Uint8Array id = Napi::Uint8Array::New(env, sizeof(s.id));
  memcpy(id.Data(), &s.id, sizeof(s.id));
  o.Set("id", id);
  return o;
}

DiagSocket SocketFromJs(Napi::Env env, Napi::Object o) {
  DiagSocket s;
  s.family = static_cast<uint8_t>(o.Get("family").As<Napi::Number>().Uint32Value());
  s.protocol = static_cast<uint8_t>(o.Get("protocol").As<Napi::Number>().Uint32Value());
  Napi::Uint8Array id = o.Get("id").As<Napi::Uint8Array>();
  if ((s.family != AF_INET && s.family != AF_INET6) || id.ByteLength() != sizeof(s.id))
    throw Napi::TypeError::New(env, "not a socket that listSockets gave");
  memcpy(&s.id, id.Data(), sizeof(s.id));
  return s;
}

}  // namespace

Napi::Value ListSocketsJs(const Napi::CallbackInfo& info, NetlinkSocket* diag) {
  Napi::Env env = info.Env();
  std::vector<DiagSocket> sockets;
  ThrowIf(env, ReadSockets(diag, Bytes(info[0].As<Napi::Array>()), Bytes(info[1].As<Napi::Array>()), &sockets));
  Napi::Array list = Napi::Array::New(env, sockets.size());
  for (size_t i = 0; i < sockets.size(); i++) list.Set(static_cast<uint32_t>(i), SocketToJs(env, sockets[i]));
  return list;
}

Napi::Value DestroySocketsJs(const Napi::CallbackInfo& info, NetlinkSocket* diag) {
  Napi::Env env = info.Env();
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<DiagSocket> sockets(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) sockets[i] = SocketFromJs(env, list.Get(i).As<Napi::Object>());
  std::vector<NlError> results;
  ThrowIf(env, DestroySockets(diag, sockets, &results));
  Napi::Int32Array errors = Napi::Int32Array::New(env, results.size());
  for (size_t i = 0; i < results.size(); i++) errors[i] = results[i].err;
  return errors;
}
