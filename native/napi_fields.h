// Reading and writing the fields of the plain objects that cross between C++ and JS (address_napi.cc,
// rule_napi.cc): numbers, optional fields, and addresses as text going out, as bytes coming in.
#pragma once

#include <napi.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "address_text.h"

inline uint32_t U32(Napi::Object object, const char* name) { return object.Get(name).As<Napi::Number>().Uint32Value(); }

inline bool Has(Napi::Object object, const char* name) { return !object.Get(name).IsUndefined(); }

// The address (4 or 16 bytes by family) as text.
inline std::string AddressText(uint8_t family, const uint8_t* bytes) {
  std::string text;
  AppendAddress(&text, family, bytes);
  return text;
}

// Copies the Uint8Array `name` of `object` to `out`; throws "WHAT length does not match the family" unless it has
// the family's length (4 or 16).
inline void CopyAddress(Napi::Env env, Napi::Object object, const char* name, uint8_t family, uint8_t* out,
                        const char* what) {
  Napi::Uint8Array bytes = object.Get(name).As<Napi::Uint8Array>();
  if (bytes.ByteLength() != (family == AF_INET6 ? 16u : 4u))
    throw Napi::TypeError::New(env, std::string(what) + " length does not match the family");
  memcpy(out, bytes.Data(), bytes.ByteLength());
}
