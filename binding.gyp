{
  "targets": [
    {
      "target_name": "rtnetlink",
      "sources": [
        "native/addon.cc",
        "native/route_napi.cc",
        "native/route_dump_napi.cc",
        "native/watch_napi.cc",
        "native/link_napi.cc",
        "native/operations.cc",
        "native/netlink_socket.cc",
        "native/namespace_helper.cc",
        "native/route_codec.cc",
        "native/route_extras.cc",
        "native/link_codec.cc",
        "native/event_reader.cc",
        "native/route_filter.cc",
        "native/route_prefixes.cc",
        "native/rule_codec.cc",
        "native/rule_operations.cc",
        "native/rule_napi.cc",
        "native/address_codec.cc",
        "native/address_operations.cc",
        "native/address_napi.cc",
        "native/sock_diag_codec.cc",
        "native/sock_diag_operations.cc",
        "native/sock_diag_napi.cc",
        "native/namespace_napi.cc",
        "native/link_change.cc",
        "native/address_text.cc",
        "native/host_calls.cc",
        "native/nft_codec.cc",
        "native/nft_filter.cc",
        "native/nft_writer.cc",
        "native/nft_operations.cc",
        "native/nft_napi.cc",
        "native/sysctl.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"]
    }
  ]
}
