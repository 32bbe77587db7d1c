#include "nft_napi.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "address_text.h"
#include "napi_classes.h"
#include "napi_errors.h"
#include "nft_operations.h"

namespace {

// { family: 2 | 10, source: Uint8Array (4 or 16 bytes), prefixLen, oif } (firewall.ts validates first).
nft::Masquerade FromJs(Napi::Env env, Napi::Object o) {
  nft::Masquerade rule;
  rule.family = static_cast<uint8_t>(o.Get("family").As<Napi::Number>().Uint32Value());
  Napi::Uint8Array source = o.Get("source").As<Napi::Uint8Array>();
  const size_t len = rule.family == AF_INET ? 4 : 16;
  const uint32_t prefix = o.Get("prefixLen").As<Napi::Number>().Uint32Value();
  rule.oif = o.Get("oif").As<Napi::String>().Utf8Value();
  if ((rule.family != AF_INET && rule.family != AF_INET6) || source.ByteLength() != len || prefix == 0 ||
      prefix > len * 8 || rule.oif.empty() || rule.oif.size() > 15)
    throw Napi::TypeError::New(env, "malformed masquerade rule");
  rule.prefix_len = static_cast<uint8_t>(prefix);
  memcpy(rule.source, source.Data(), len);
  return rule;
}

Napi::Object ToJs(Napi::Env env, const nft::Masquerade& rule) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("family", rule.family);
  std::string text;
  AppendPrefix(&text, rule.family, rule.source, rule.prefix_len);
  o.Set("source", text);
  o.Set("oif", rule.oif);
  return o;
}

const char* ChangeName(TableChange change) {
  switch (change) {
    case TableChange::kChanged: return "changed";
    case TableChange::kNotOurs: return "not ours";
    case TableChange::kUnchanged: break;
  }
  return "unchanged";
}

uint32_t Field(Napi::Object o, const char* name) { return o.Get(name).As<Napi::Number>().Uint32Value(); }

// { family: 0 | 2 | 10, oif, daddr: Uint8Array (16 bytes), daddrLen, l4proto, sport, dport, icmpTypeMin,
// icmpTypeMax, verdict: 0 accept | 1 reject } (firewall.ts validates first; nft::Valid checks again).
nft::Filter FilterFromJs(Napi::Env env, Napi::Object o) {
  nft::Filter rule;
  rule.family = static_cast<uint8_t>(Field(o, "family"));
  rule.oif = o.Get("oif").As<Napi::String>().Utf8Value();
  Napi::Uint8Array daddr = o.Get("daddr").As<Napi::Uint8Array>();
  const uint32_t daddr_len = Field(o, "daddrLen"), l4proto = Field(o, "l4proto"), sport = Field(o, "sport"),
                 dport = Field(o, "dport"), type_min = Field(o, "icmpTypeMin"), type_max = Field(o, "icmpTypeMax"),
                 verdict = Field(o, "verdict");
  if (daddr.ByteLength() != sizeof(rule.daddr) || daddr_len > 128 || l4proto > 255 || sport > 65535 || dport > 65535 ||
      type_min > 255 || type_max > 255 || verdict > 1)
    throw Napi::TypeError::New(env, "malformed filter rule");
  memcpy(rule.daddr, daddr.Data(), sizeof(rule.daddr));
  rule.daddr_len = static_cast<uint8_t>(daddr_len);
  rule.l4proto = static_cast<uint8_t>(l4proto);
  rule.sport = static_cast<uint16_t>(sport);
  rule.dport = static_cast<uint16_t>(dport);
  rule.icmp_type_min = static_cast<uint8_t>(type_min);
  rule.icmp_type_max = static_cast<uint8_t>(type_max);
  rule.verdict = verdict ? nft::Filter::kReject : nft::Filter::kAccept;
  if (!nft::Valid(rule)) throw Napi::TypeError::New(env, "malformed filter rule");
  return rule;
}

// { exists, oursOnly, owned } of our table's state, for a list call to add what the table holds.
template <typename State>
Napi::Object TableToJs(Napi::Env env, const State& state) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("exists", state.exists);
  out.Set("oursOnly", state.ours_only);
  out.Set("owned", state.owned);
  return out;
}

// Our table made to hold exactly the rules of the JS list (decoded one by one): 'changed' | 'unchanged' | 'not ours'.
template <typename Rule>
Napi::Value SetTable(Napi::Env env, Napi::Array list, Rule (*decode)(Napi::Env, Napi::Object),
                     NlError (*set)(NetlinkSocket*, const std::vector<Rule>&, TableChange*), NetlinkSocket* socket) {
  std::vector<Rule> wanted;
  for (uint32_t i = 0; i < list.Length(); i++) wanted.push_back(decode(env, list.Get(i).As<Napi::Object>()));
  TableChange change = TableChange::kUnchanged;
  ThrowIf(env, set(socket, wanted, &change));
  return Napi::String::New(env, ChangeName(change));
}

// Our table deleted: 'changed' (removed) | 'unchanged' (there was none) | 'not ours'.
Napi::Value RemoveTable(Napi::Env env, NlError (*remove)(NetlinkSocket*, TableChange*), NetlinkSocket* socket) {
  TableChange change = TableChange::kUnchanged;
  ThrowIf(env, remove(socket, &change));
  return Napi::String::New(env, ChangeName(change));
}

// The JS face of a NETLINK_NETFILTER socket: methods like the route socket's (addon.cc), all synchronous.
class FirewallHandle : public Napi::ObjectWrap<FirewallHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FirewallHandle",
                       {
                           InstanceMethod("listMasquerade", &FirewallHandle::ListMasquerade),
                           InstanceMethod("setMasquerade", &FirewallHandle::SetMasquerade),
                           InstanceMethod("removeMasquerade", &FirewallHandle::RemoveMasquerade),
                           InstanceMethod("listLockdown", &FirewallHandle::ListLockdown),
                           InstanceMethod("setLockdown", &FirewallHandle::SetLockdown),
                           InstanceMethod("removeLockdown", &FirewallHandle::RemoveLockdown),
                           InstanceMethod("close", &FirewallHandle::Close),
                       });
  }

  explicit FirewallHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FirewallHandle>(info) {
    socket_.reset(info[0].As<Napi::External<NetlinkSocket>>().Data());
  }

 private:
  NetlinkSocket* Socket(const Napi::CallbackInfo& info) {
    if (!socket_) throw Napi::Error::New(info.Env(), "the firewall socket is closed");
    return socket_.get();
  }

  // listMasquerade(): { exists, oursOnly, owned, rules: [{ family, source: 'CIDR', oif }] }
  Napi::Value ListMasquerade(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MasqueradeState state;
    ThrowIf(env, ReadMasquerade(Socket(info), &state));
    Napi::Object out = TableToJs(env, state);
    Napi::Array rules = Napi::Array::New(env, state.rules.size());
    for (uint32_t i = 0; i < state.rules.size(); i++) rules.Set(i, ToJs(env, state.rules[i]));
    out.Set("rules", rules);
    return out;
  }

  // setMasquerade(rules), removeMasquerade()
  Napi::Value SetMasquerade(const Napi::CallbackInfo& info) {
    return SetTable(info.Env(), info[0].As<Napi::Array>(), FromJs, ::SetMasquerade, Socket(info));
  }
  Napi::Value RemoveMasquerade(const Napi::CallbackInfo& info) {
    return RemoveTable(info.Env(), ::RemoveMasquerade, Socket(info));
  }

  // listLockdown(): { exists, oursOnly, owned, chains: [{ name, exists, rules: [description] }] }
  Napi::Value ListLockdown(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LockdownState state;
    ThrowIf(env, ReadLockdown(Socket(info), &state));
    Napi::Object out = TableToJs(env, state);
    Napi::Array chains = Napi::Array::New(env, kLockdownChainCount);
    for (uint32_t i = 0; i < kLockdownChainCount; i++) {
      Napi::Object chain = Napi::Object::New(env);
      chain.Set("name", nft::kLockdownChains[i].name);
      chain.Set("exists", state.chains[i].exists);
      Napi::Array rules = Napi::Array::New(env, state.chains[i].rules.size());
      for (uint32_t r = 0; r < state.chains[i].rules.size(); r++) rules.Set(r, state.chains[i].rules[r]);
      chain.Set("rules", rules);
      chains.Set(i, chain);
    }
    out.Set("chains", chains);
    return out;
  }

  // setLockdown(rules), removeLockdown()
  Napi::Value SetLockdown(const Napi::CallbackInfo& info) {
    return SetTable(info.Env(), info[0].As<Napi::Array>(), FilterFromJs, ::SetLockdown, Socket(info));
  }
  Napi::Value RemoveLockdown(const Napi::CallbackInfo& info) {
    return RemoveTable(info.Env(), ::RemoveLockdown, Socket(info));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    socket_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<NetlinkSocket> socket_;  // null once closed
};

// openFirewall(netns, timeoutMs): a FirewallHandle
Napi::Value OpenFirewall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  NetlinkSocket* socket = nullptr;
  ThrowIf(env, NetlinkSocket::Open(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(),
                                   &socket, NETLINK_NETFILTER));
  return env.GetInstanceData<Classes>()->firewall.New({Napi::External<NetlinkSocket>::New(env, socket)});
}

// lockdownDescribe(rules): each rule as nft lists it (and as its comment in our table says)
Napi::Value LockdownDescribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = info[0].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, list.Length());
  for (uint32_t i = 0; i < list.Length(); i++)
    out.Set(i, nft::Describe(FilterFromJs(env, list.Get(i).As<Napi::Object>())));
  return out;
}

}  // namespace

Napi::Function DefineFirewall(Napi::Env env) { return FirewallHandle::Define(env); }

void RegisterFirewall(Napi::Env env, Napi::Object exports) {
  exports.Set("openFirewall", Napi::Function::New(env, OpenFirewall));
  exports.Set("lockdownDescribe", Napi::Function::New(env, LockdownDescribe));
}
