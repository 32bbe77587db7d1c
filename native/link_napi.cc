#include "link_napi.h"

#include <cstdint>
#include <string>

#include "link_change.h"
#include "napi_errors.h"
#include "operations.h"

namespace {

std::vector<std::string> Strings(Napi::Array list) {
  std::vector<std::string> out(list.Length());
  for (uint32_t i = 0; i < list.Length(); i++) out[i] = list.Get(i).As<Napi::String>().Utf8Value();
  return out;
}

}  // namespace

Napi::Array LinksToJs(Napi::Env env, const std::vector<Link>& links) {
  Napi::Array out = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); i++) {
    Napi::Object link = Napi::Object::New(env);
    link.Set("index", links[i].index);
    link.Set("name", links[i].name);
    link.Set("flags", links[i].flags);
    link.Set("mtu", links[i].mtu);
    link.Set("operstate", links[i].operstate);
    out.Set(i, link);
  }
  return out;
}

Napi::Value ListLinksJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  std::vector<Link> links;
  ThrowIf(info.Env(), ReadLinks(socket.get(), &links));
  return LinksToJs(info.Env(), links);
}

Napi::Value LinkIndexesJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  std::vector<std::string> names = Strings(info[0].As<Napi::Array>());
  std::vector<uint32_t> indexes;
  ThrowIf(env, LinkIndexes(socket.get(), names, &indexes));
  Napi::Array out = Napi::Array::New(env, indexes.size());
  for (uint32_t i = 0; i < indexes.size(); i++) out.Set(i, Napi::Number::New(env, indexes[i]));
  return out;
}

Napi::Value GetLinksJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  std::vector<Link> links;
  std::vector<bool> found;
  ThrowIf(env, GetLinks(socket.get(), Strings(info[0].As<Napi::Array>()), &links, &found));
  Napi::Array all = LinksToJs(env, links);
  Napi::Array out = Napi::Array::New(env, links.size());
  for (uint32_t i = 0; i < links.size(); i++) out.Set(i, found[i] ? all.Get(i) : env.Null());
  return out;
}

Napi::Value SetLinkJs(const Napi::CallbackInfo& info, const std::shared_ptr<NetlinkSocket>& socket) {
  Napi::Env env = info.Env();
  const LinkSettings settings{info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Int32Value(),
                              info[2].As<Napi::Number>().Uint32Value()};
  ThrowIf(env, SetLink(socket.get(), settings));
  return env.Undefined();
}
