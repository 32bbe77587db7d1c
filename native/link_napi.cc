#include "link_napi.h"

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
