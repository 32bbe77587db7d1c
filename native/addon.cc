// The N-API surface: the RouteSocket handle and the module's Init. The handle owns the socket; its methods hand
// over to each kernel object's *_napi.h (route, link, rule, address, socket diagnostics), which unpacks the JS
// arguments, calls the object's operations (operations.h, *_operations.h: the kernel work without N-API, which
// the fuzz targets drive too), turns their results into JS values and runs them on the right thread. Per-handle
// serialization of calls is done in JS (src/netlink/socket.ts).
//
// Which calls run where: requests whose kernel cost does not grow with the routing table (opening a socket,
// a route lookup, a link lookup or link list, a few route changes) run synchronously on the calling thread:
// the kernel handles a request inside sendmsg, so its answer is waiting when recvmsg is called, and a
// round trip through the libuv pool would cost several times the kernel's work. Large batches of changes run
// on the pool (route_napi.cc's AsyncWorker). Route dumps (route_dump_napi.h) and watches (watch_napi.h) are
// objects of their own, read by a thread of their own (reader_thread.h).
#include <napi.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "address_napi.h"
#include "address_operations.h"
#include "host_calls.h"
#include "link_napi.h"
#include "napi_classes.h"
#include "napi_errors.h"
#include "nft_napi.h"
#include "route_dump_napi.h"
#include "route_napi.h"
#include "rule_napi.h"
#include "rule_operations.h"
#include "sock_diag_napi.h"
#include "sysctl.h"
#include "watch_napi.h"

namespace {

using SocketPtr = std::shared_ptr<NetlinkSocket>;

class RouteSocketHandle : public Napi::ObjectWrap<RouteSocketHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RouteSocketHandle",
                       {
                           InstanceMethod("dumpRoutes", &RouteSocketHandle::DumpRoutes),
                           InstanceMethod("getRoute", &RouteSocketHandle::GetRoute),
                           InstanceMethod("getRoutes", &RouteSocketHandle::GetRoutes),
                           InstanceMethod("change", &RouteSocketHandle::Change),
                           InstanceMethod("listLinks", &RouteSocketHandle::ListLinks),
                           InstanceMethod("linkIndexes", &RouteSocketHandle::LinkIndexes),
                           InstanceMethod("getLinks", &RouteSocketHandle::GetLinks),
                           InstanceMethod("netnsCookie", &RouteSocketHandle::NetnsCookie),
                           InstanceMethod("watch", &RouteSocketHandle::Watch),
                           InstanceMethod("listRules", &RouteSocketHandle::ListRules),
                           InstanceMethod("changeRule", &RouteSocketHandle::ChangeRule),
                           InstanceMethod("listAddresses", &RouteSocketHandle::ListAddresses),
                           InstanceMethod("changeAddress", &RouteSocketHandle::ChangeAddress),
                           InstanceMethod("setLink", &RouteSocketHandle::SetLink),
                           InstanceMethod("getSysctl", &RouteSocketHandle::GetSysctl),
                           InstanceMethod("setSysctl", &RouteSocketHandle::SetSysctl),
                           InstanceMethod("listSockets", &RouteSocketHandle::ListSockets),
                           InstanceMethod("destroySockets", &RouteSocketHandle::DestroySockets),
                           InstanceMethod("close", &RouteSocketHandle::Close),
                       });
  }

  explicit RouteSocketHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RouteSocketHandle>(info) {
    socket_.reset(info[0].As<Napi::External<NetlinkSocket>>().Data());
  }

 private:
  SocketPtr Socket(const Napi::CallbackInfo& info) {
    if (!socket_) throw Napi::Error::New(info.Env(), "the route socket is closed");
    return socket_;
  }

  // dumpRoutes(families, table, protocol, oif, ownSocket): RouteDump (route_dump_napi.h)
  Napi::Value DumpRoutes(const Napi::CallbackInfo& info) { return DumpRoutesJs(info, Socket(info)); }

  // getRoute(family, address: Uint8Array, oif, fibMatch, [ipProto, dport]): batch (route_napi.h)
  Napi::Value GetRoute(const Napi::CallbackInfo& info) { return GetRouteJs(info, Socket(info)); }

  // getRoutes(families, addresses, oifs, fibMatch, [knownIndexes, knownNames]): batch, owners, errors (route_napi.h)
  Napi::Value GetRoutes(const Napi::CallbackInfo& info) { return GetRoutesJs(info, Socket(info)); }

  // change(records: Uint8Array, rare: NativeRareFields[], async: boolean): results, or a promise of them
  // (route_napi.h)
  Napi::Value Change(const Napi::CallbackInfo& info) { return ChangeRoutesJs(info, Socket(info)); }

  // listLinks(), linkIndexes(names), getLinks(names): links, indexes, links or null (link_napi.h)
  Napi::Value ListLinks(const Napi::CallbackInfo& info) { return ListLinksJs(info, Socket(info)); }
  Napi::Value LinkIndexes(const Napi::CallbackInfo& info) { return LinkIndexesJs(info, Socket(info)); }
  Napi::Value GetLinks(const Napi::CallbackInfo& info) { return GetLinksJs(info, Socket(info)); }

  // netnsCookie(): the namespace's cookie in decimal, or undefined on a kernel without SO_NETNS_COOKIE
  Napi::Value NetnsCookie(const Napi::CallbackInfo& info) {
    uint64_t cookie = 0;
    bool known = false;
    ThrowIf(info.Env(), Socket(info)->NetnsCookie(&cookie, &known));
    return known ? Napi::String::New(info.Env(), std::to_string(cookie)) : info.Env().Undefined();
  }

  // watch(filter): Watch, on a new socket in the same namespace (watch_napi.h)
  Napi::Value Watch(const Napi::CallbackInfo& info) { return WatchJs(info, Socket(info)); }

  // listRules(families: number[]): rules (synchronous: rules are few)
  Napi::Value ListRules(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<int> families(list.Length());
    for (uint32_t i = 0; i < list.Length(); i++) families[i] = list.Get(i).As<Napi::Number>().Int32Value();
    std::vector<Rule> rules;
    ThrowIf(env, ReadRules(Socket(info).get(), families, &rules));
    return RulesToJs(env, rules);
  }

  // changeRule(add: boolean, rule): undefined (synchronous)
  Napi::Value ChangeRule(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Rule rule = RuleFromJs(env, info[1].As<Napi::Object>());
    ThrowIf(env, ::ChangeRule(Socket(info).get(), info[0].ToBoolean().Value(), rule));
    return env.Undefined();
  }

  // listAddresses(family: number): addresses (synchronous: addresses are few)
  Napi::Value ListAddresses(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<InterfaceAddress> addresses;
    ThrowIf(env, ReadAddresses(Socket(info).get(), info[0].As<Napi::Number>().Int32Value(), &addresses));
    return AddressesToJs(env, addresses);
  }

  // changeAddress(add: boolean, address): undefined (synchronous)
  Napi::Value ChangeAddress(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const InterfaceAddress address = AddressFromJs(env, info[1].As<Napi::Object>());
    ThrowIf(env, ::ChangeAddress(Socket(info).get(), info[0].ToBoolean().Value(), address));
    return env.Undefined();
  }

  // setLink(index, up: -1 unchanged | 0 | 1, mtu: 0 unchanged): undefined (link_napi.h)
  Napi::Value SetLink(const Napi::CallbackInfo& info) { return SetLinkJs(info, Socket(info)); }

  // getSysctl(name): the value under /proc/sys/NAME in the socket's namespace (synchronous)
  Napi::Value GetSysctl(const Napi::CallbackInfo& info) {
    std::string value;
    ThrowIf(info.Env(), ReadSysctl(Socket(info)->namespace_fd(), info[0].As<Napi::String>().Utf8Value(), &value));
    return Napi::String::New(info.Env(), value);
  }

  // setSysctl(name, value): undefined (synchronous)
  Napi::Value SetSysctl(const Napi::CallbackInfo& info) {
    ThrowIf(info.Env(), WriteSysctl(Socket(info)->namespace_fd(), info[0].As<Napi::String>().Utf8Value(),
                                    info[1].As<Napi::String>().Utf8Value()));
    return info.Env().Undefined();
  }

  // The NETLINK_SOCK_DIAG socket, made on first use in the same namespace as the route socket.
  NetlinkSocket* Diag(const Napi::CallbackInfo& info) {
    SocketPtr socket = Socket(info);
    if (!diag_) {
      NetlinkSocket* own = nullptr;
      ThrowIf(info.Env(), socket->Clone(&own, NETLINK_SOCK_DIAG));
      diag_.reset(own);
    }
    return diag_.get();
  }

  // listSockets(families: number[], protocols: number[]): sockets (synchronous: native/sock_diag_napi.h)
  Napi::Value ListSockets(const Napi::CallbackInfo& info) {
    Napi::Value out;
    ThrowIf(info.Env(),
            ListSocketsJs(info.Env(), Diag(info), info[0].As<Napi::Array>(), info[1].As<Napi::Array>(), &out));
    return out;
  }

  // destroySockets(sockets): Int32Array, an errno per socket (synchronous)
  Napi::Value DestroySockets(const Napi::CallbackInfo& info) {
    Napi::Value out;
    ThrowIf(info.Env(), DestroySocketsJs(info.Env(), Diag(info), info[0].As<Napi::Array>(), &out));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    socket_.reset();  // work still in flight keeps its own reference until it ends
    diag_.reset();
    return info.Env().Undefined();
  }

  SocketPtr socket_;
  std::unique_ptr<NetlinkSocket> diag_;
};

// open(netns: string, timeoutMs: number): RouteSocketHandle (synchronous: a socket, made in a named namespace by
// the calling thread, which enters it and comes back within the call: namespace_helper.cc)
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info[0].As<Napi::String>().Utf8Value();
  NetlinkSocket* socket = nullptr;
  ThrowIf(env, NetlinkSocket::Open(netns, info[1].As<Napi::Number>().Int32Value(), &socket));
  return env.GetInstanceData<Classes>()->route_socket.New({Napi::External<NetlinkSocket>::New(env, socket)});
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* classes = new Classes();
  classes->route_socket = Napi::Persistent(RouteSocketHandle::Define(env));
  classes->route_dump = Napi::Persistent(DefineRouteDump(env));
  classes->watch = Napi::Persistent(DefineWatch(env));
  classes->firewall = Napi::Persistent(DefineFirewall(env));
  env.SetInstanceData(classes);  // per environment: the addon may be loaded by worker threads too
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("routeMetrics", Napi::Function::New(env, RouteMetricsJs));
  RegisterHostCalls(env, exports);
  RegisterFirewall(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(rtnetlink, Init)
