// The N-API surface: the RouteSocket handle and the module's Init. The handle owns the socket; its methods hand
// over to each kernel object's *_napi.h (route, link, rule, address, socket diagnostics; the namespace's cookie
// and sysctls in namespace_napi.h), which unpacks the JS arguments, calls the object's operations (operations.h,
// *_operations.h: the kernel work without N-API, which the fuzz targets drive too), turns their results into JS
// values and runs them on the right thread. Per-handle serialization of calls is done in JS (src/netlink/socket.ts).
//
// Which calls run where: requests whose kernel cost does not grow with the routing table (opening a socket,
// a route lookup, a link lookup or link list, a few route or rule changes) run synchronously on the calling thread:
// the kernel handles a request inside sendmsg, so its answer is waiting when recvmsg is called, and a
// round trip through the libuv pool would cost several times the kernel's work. Large batches of route or rule
// changes run on the pool (change_batch_napi.h). Route dumps (route_dump_napi.h) and watches (watch_napi.h) are
// objects of their own, read by a thread of their own (reader_thread.h).
#include <napi.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "address_napi.h"
#include "host_calls.h"
#include "link_napi.h"
#include "namespace_napi.h"
#include "napi_classes.h"
#include "napi_errors.h"
#include "nft_napi.h"
#include "route_dump_napi.h"
#include "route_napi.h"
#include "rule_napi.h"
#include "sock_diag_napi.h"
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
                           InstanceMethod("changeRules", &RouteSocketHandle::ChangeRules),
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

  // netnsCookie(): the namespace's cookie, or undefined (namespace_napi.h)
  Napi::Value NetnsCookie(const Napi::CallbackInfo& info) { return NetnsCookieJs(info, Socket(info)); }

  // watch(filter): Watch, on a new socket in the same namespace (watch_napi.h)
  Napi::Value Watch(const Napi::CallbackInfo& info) { return WatchJs(info, Socket(info)); }

  // listRules(families), changeRules(changes, async): rules, a result per change or a promise of them (rule_napi.h)
  Napi::Value ListRules(const Napi::CallbackInfo& info) { return ListRulesJs(info, Socket(info)); }
  Napi::Value ChangeRules(const Napi::CallbackInfo& info) { return ChangeRulesJs(info, Socket(info)); }

  // listAddresses(family), changeAddress(add, address): addresses, undefined (address_napi.h)
  Napi::Value ListAddresses(const Napi::CallbackInfo& info) { return ListAddressesJs(info, Socket(info)); }
  Napi::Value ChangeAddress(const Napi::CallbackInfo& info) { return ChangeAddressJs(info, Socket(info)); }

  // setLink(index, up: -1 unchanged | 0 | 1, mtu: 0 unchanged): undefined (link_napi.h)
  Napi::Value SetLink(const Napi::CallbackInfo& info) { return SetLinkJs(info, Socket(info)); }

  // getSysctl(name), setSysctl(name, value): the value, undefined (namespace_napi.h)
  Napi::Value GetSysctl(const Napi::CallbackInfo& info) { return GetSysctlJs(info, Socket(info)); }
  Napi::Value SetSysctl(const Napi::CallbackInfo& info) { return SetSysctlJs(info, Socket(info)); }

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

  // listSockets(families, protocols), destroySockets(sockets): sockets, an errno per socket (sock_diag_napi.h)
  Napi::Value ListSockets(const Napi::CallbackInfo& info) { return ListSocketsJs(info, Diag(info)); }
  Napi::Value DestroySockets(const Napi::CallbackInfo& info) { return DestroySocketsJs(info, Diag(info)); }

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
