/** What the prototype's Lua verifier is configured with (the translator's inbound settings). */
export interface InboundVerifierSettings {
  /** `wimse-aud` values this side accepts (`<zone audience>/<service>`). */
  readonly audiences: readonly string[];
  /** The profile's `tag`. */
  readonly tag: string;
  readonly maxLifetimeSeconds: number;
  readonly skewSeconds: number;
  /**
   * Whether nonces are remembered (replays refused). Off only for the floor measurement, where wrk
   * sends one pre-signed request again and again.
   */
  readonly rememberNonces: boolean;
  /** `<workload> <user>` → Authorization for the app; absent, an ext_authz filter after it maps. */
  readonly credentials: Readonly<Record<string, string>> | undefined;
}

/**
 * The Lua source of issue 13's measuring prototype (bench/envoy-inbound-prototype.ts): the
 * translator's inbound checks after `jwt_authn` verified the WIT's signature and times, written
 * for Envoy's Lua filter (LuaJIT; `verifySignature`, `importPublicKey`, `base64Escape`). The
 * refusals name the translator's reasons in an `accord-rejection` header. SHA-256 (Content-Digest)
 * is written in Lua: Envoy's Lua API has no hash function. Per-worker state: the confirmation keys'
 * DER and the nonces (not shared between Envoy's workers: one of the gaps the results list).
 */
export function inboundVerifierLua(settings: InboundVerifierSettings): string {
  const { k, h } = sha256Constants();
  const luaString = (value: string) => JSON.stringify(value);
  const luaSet = (values: readonly string[]) => `{${values.map((v) => `[${luaString(v)}]=true`).join(',')}}`;
  const credentials =
    settings.credentials === undefined
      ? 'nil'
      : `{${Object.entries(settings.credentials)
          .map(([key, value]) => `[${luaString(key)}]=${luaString(value)}`)
          .join(',')}}`;
  return `
local bit = require("bit")
local band, bor, bxor, bnot, rshift, lshift, ror, tobit = bit.band, bit.bor, bit.bxor, bit.bnot, bit.rshift, bit.lshift, bit.ror, bit.tobit
local byte, char, sub, find, format = string.byte, string.char, string.sub, string.find, string.format

local AUDIENCES = ${luaSet(settings.audiences)}
local TAG = ${luaString(settings.tag)}
local MAX_LIFETIME = ${settings.maxLifetimeSeconds}
local SKEW = ${settings.skewSeconds}
local CREDENTIALS = ${credentials}
local PROFILE_HEADERS = {"workload-identity-token", "content-type", "content-digest", "authorization", "txn-token", "accord-user"}
local MAX_NONCES = 100000
local REMEMBER_NONCES = ${String(settings.rememberNonces)}

local K = {${k.join(',')}}
local H0 = {${h.join(',')}}

local function sha256(message)
  local length = #message
  local tail = (55 - length) % 64
  local bits = length * 8
  message = message .. char(128) .. string.rep(char(0), tail) .. char(0, 0, 0, 0,
    band(rshift(bits, 24), 255), band(rshift(bits, 16), 255), band(rshift(bits, 8), 255), band(bits, 255))
  local hash = {H0[1], H0[2], H0[3], H0[4], H0[5], H0[6], H0[7], H0[8]}
  local w = {}
  for chunk = 1, #message, 64 do
    for i = 0, 15 do
      local a, b, c, d = byte(message, chunk + i * 4, chunk + i * 4 + 3)
      w[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
    end
    for i = 16, 63 do
      local x, y = w[i - 15], w[i - 2]
      local s0 = bxor(ror(x, 7), ror(x, 18), rshift(x, 3))
      local s1 = bxor(ror(y, 17), ror(y, 19), rshift(y, 10))
      w[i] = tobit(w[i - 16] + s0 + w[i - 7] + s1)
    end
    local a, b, c, d, e, f, g, hh = hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7], hash[8]
    for i = 0, 63 do
      local t1 = tobit(hh + bxor(ror(e, 6), ror(e, 11), ror(e, 25)) + bxor(band(e, f), band(bnot(e), g)) + K[i + 1] + w[i])
      local t2 = tobit(bxor(ror(a, 2), ror(a, 13), ror(a, 22)) + bxor(band(a, b), band(a, c), band(b, c)))
      hh, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
    end
    hash[1], hash[2], hash[3], hash[4] = tobit(hash[1] + a), tobit(hash[2] + b), tobit(hash[3] + c), tobit(hash[4] + d)
    hash[5], hash[6], hash[7], hash[8] = tobit(hash[5] + e), tobit(hash[6] + f), tobit(hash[7] + g), tobit(hash[8] + hh)
  end
  local out = {}
  for i = 1, 8 do
    local v = hash[i]
    out[i] = char(band(rshift(v, 24), 255), band(rshift(v, 16), 255), band(rshift(v, 8), 255), band(v, 255))
  end
  return table.concat(out)
end

local B64 = {}
do
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  for i = 1, 64 do B64[byte(alphabet, i)] = i - 1 end
  B64[byte("-")] = 62
  B64[byte("_")] = 63
end

-- Standard or URL-safe base64, padding optional; nil when malformed.
local function base64Decode(text)
  local out, acc, n = {}, 0, 0
  for i = 1, #text do
    local c = byte(text, i)
    if c ~= 61 then
      local v = B64[c]
      if v == nil then return nil end
      acc = bor(lshift(acc, 6), v)
      n = n + 6
      if n >= 8 then
        n = n - 8
        out[#out + 1] = char(band(rshift(acc, n), 255))
        acc = band(acc, lshift(1, n) - 1)
      end
    end
  end
  return table.concat(out)
end

-- An ECDSA r||s signature (RFC 9421 §3.3.4) as the DER that verifySignature expects.
local function derInteger(raw)
  local i = 1
  while i < #raw and byte(raw, i) == 0 do i = i + 1 end
  raw = sub(raw, i)
  if byte(raw, 1) >= 128 then raw = char(0) .. raw end
  return char(2, #raw) .. raw
end
local function derSignature(raw)
  local body = derInteger(sub(raw, 1, 32)) .. derInteger(sub(raw, 33, 64))
  return char(48, #body) .. body
end

local SPKI_P256 = base64Decode("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
local keys = {}
local nonces, nonceCount = {}, 0

local function refuse(handle, reason, status)
  handle:respond({[":status"] = status or "403", ["accord-rejection"] = reason}, "")
end

-- Signature-Input with ONE member: label, covered components, parameters (in order), or a reason.
local function parseSignatureInput(value)
  local label, list, rest = value:match("^%s*([%a*][%w_%-%.*]*)=%(([^)]*)%)(.*)$")
  if label == nil then return nil, "signature_malformed" end
  local components = {}
  for item in list:gmatch("[^ ]+") do
    local name = item:match('^"([^"]*)"$')
    if name == nil then return nil, "signature_malformed" end
    components[#components + 1] = name
  end
  local parameters, order = {}, {}
  local position = 1
  while position <= #rest do
    local key, after = rest:match("^;([%a*][%w_%-%.*]*)()", position)
    if key == nil then return nil, "signature_malformed" end
    position = after
    local value
    if sub(rest, position, position) == "=" then
      local text, afterString = rest:match('^="([^"\\\\]*)"()', position)
      local number, afterNumber = rest:match("^=(%d+)()", position)
      local boolean, afterBoolean = rest:match("^=%?([01])()", position)
      if text ~= nil then value, position = text, afterString
      elseif number ~= nil then value, position = tonumber(number), afterNumber
      elseif boolean ~= nil then value, position = boolean == "1", afterBoolean
      else return nil, "signature_malformed" end
    else
      value = true
    end
    if parameters[key] ~= nil then return nil, "signature_malformed" end
    parameters[key] = value
    order[#order + 1] = key
  end
  return {label = label, components = components, parameters = parameters, order = order}
end

-- RFC 8941 serialisation of the inner list: the signature base's @signature-params line.
local function serializeParams(input)
  local quoted = {}
  for i, name in ipairs(input.components) do quoted[i] = '"' .. name .. '"' end
  local out = {"(", table.concat(quoted, " "), ")"}
  for _, key in ipairs(input.order) do
    local value = input.parameters[key]
    if value == true then out[#out + 1] = ";" .. key
    elseif value == false then out[#out + 1] = ";" .. key .. "=?0"
    elseif type(value) == "number" then out[#out + 1] = format(";%s=%d", key, value)
    else out[#out + 1] = ";" .. key .. '="' .. value .. '"' end
  end
  return table.concat(out)
end

local function verify(handle)
  -- First: body() waits for the body, and objects taken before it are out of scope after it.
  local body = handle:body()
  local bodyBytes = body and body:getBytes(0, body:length()) or ""
  local headers = handle:headers()
  local ssl = handle:connection():ssl()
  local peer = ssl and ssl:uriSanPeerCertificate()[1]
  if peer == nil then return refuse(handle, "peer_missing") end
  local token = headers:get("workload-identity-token")
  if token == nil then return refuse(handle, "wit_missing") end
  local verified = handle:streamInfo():dynamicMetadata():get("envoy.filters.http.jwt_authn")
  local trustDomain, wit, header
  if verified ~= nil then
    for name, value in pairs(verified) do
      if name:find("/header", 1, true) then header = value else trustDomain, wit = name, value end
    end
  end
  if wit == nil or header == nil then return refuse(handle, "wit_bad_signature") end
  if header.typ ~= "wit+jwt" then return refuse(handle, "wit_bad_type") end
  local subject = wit.sub
  if type(subject) ~= "string" or sub(subject, 1, 10 + #trustDomain) ~= "spiffe://" .. trustDomain .. "/" then
    return refuse(handle, "wit_untrusted_domain")
  end
  local jwk = wit.cnf and wit.cnf.jwk
  if type(jwk) ~= "table" or jwk.kty ~= "EC" or jwk.crv ~= "P-256" or type(jwk.x) ~= "string" or type(jwk.y) ~= "string" then
    return refuse(handle, "wit_bad_confirmation_key")
  end

  local inputField = headers:get("signature-input")
  local signatureField = headers:get("signature")
  if inputField == nil or signatureField == nil then return refuse(handle, "signature_missing") end
  local input, reason = parseSignatureInput(inputField)
  if input == nil then return refuse(handle, reason) end
  local encoded = signatureField:match("^%s*" .. input.label:gsub("%p", "%%%0") .. "=:([%w+/=]*):%s*$")
  local signature = encoded and base64Decode(encoded)
  if signature == nil or #signature ~= 64 then return refuse(handle, "signature_malformed") end
  local p = input.parameters
  if p.keyid ~= nil or p.alg ~= nil then return refuse(handle, "signature_param_forbidden") end
  for _, name in ipairs({"tag", "nonce", "wimse-aud", "created", "expires"}) do
    if p[name] == nil then return refuse(handle, "signature_param_missing") end
  end
  if p.tag ~= TAG then return refuse(handle, "signature_bad_tag") end
  if type(p.created) ~= "number" or type(p.expires) ~= "number" or type(p.nonce) ~= "string" or type(p["wimse-aud"]) ~= "string" then
    return refuse(handle, "signature_malformed")
  end
  local now = os.time()
  if p.expires <= p.created then return refuse(handle, "signature_malformed") end
  if p.expires - p.created > MAX_LIFETIME then return refuse(handle, "signature_lifetime_too_long") end
  if p.created > now + SKEW then return refuse(handle, "signature_not_yet_valid") end
  if p.expires + SKEW < now then return refuse(handle, "signature_expired") end
  if not AUDIENCES[p["wimse-aud"]] then return refuse(handle, "audience_mismatch") end

  local digestField = headers:get("content-digest")
  if digestField == nil then
    if #bodyBytes > 0 then return refuse(handle, "digest_missing") end
  else
    local digest = digestField:match("sha%-256=:([%w+/=]*):")
    if digest == nil then return refuse(handle, "digest_missing") end
    if digest ~= handle:base64Escape(sha256(bodyBytes)) then return refuse(handle, "digest_mismatch") end
  end

  local covered = {}
  for _, name in ipairs(input.components) do
    if covered[name] then return refuse(handle, "signature_malformed") end
    covered[name] = true
  end
  if not covered["@method"] or not covered["@request-target"] then return refuse(handle, "signature_component_missing") end
  for _, name in ipairs(PROFILE_HEADERS) do
    if headers:get(name) ~= nil and not covered[name] then return refuse(handle, "signature_component_missing") end
  end
  if #bodyBytes > 0 and not covered["content-digest"] then return refuse(handle, "signature_component_missing") end

  local lines = {}
  for i, name in ipairs(input.components) do
    local value
    if name == "@method" then value = headers:get(":method")
    elseif name == "@request-target" then value = headers:get(":path")
    elseif sub(name, 1, 1) == "@" then return refuse(handle, "signature_malformed")
    else
      value = headers:get(name)
      if value == nil then return refuse(handle, "signature_component_missing") end
      value = value:gsub("^[ \\t]+", ""):gsub("[ \\t]+$", "")
    end
    lines[i] = '"' .. name .. '": ' .. value
  end
  lines[#lines + 1] = '"@signature-params": ' .. serializeParams(input)
  local base = table.concat(lines, "\\n")

  -- The DER is remembered per confirmation key; the imported key lives for one request only.
  local cacheKey = jwk.x .. "." .. jwk.y
  local spki = keys[cacheKey]
  if spki == nil then
    local x, y = base64Decode(jwk.x), base64Decode(jwk.y)
    if x == nil or y == nil or #x ~= 32 or #y ~= 32 then return refuse(handle, "wit_bad_confirmation_key") end
    spki = SPKI_P256 .. x .. y
    keys[cacheKey] = spki
  end
  local key = handle:importPublicKey(spki, #spki):get()
  local der = derSignature(signature)
  local ok = handle:verifySignature("sha256", key, der, #der, base, #base)
  if not ok then return refuse(handle, "signature_mismatch") end

  if REMEMBER_NONCES then
    local nonceKey = subject .. " " .. p.nonce
    local seen = nonces[nonceKey]
    if seen ~= nil and seen >= now then return refuse(handle, "nonce_replayed") end
    if seen == nil then
      if nonceCount >= MAX_NONCES then
        for name, until_ in pairs(nonces) do
          if until_ < now then nonces[name] = nil; nonceCount = nonceCount - 1 end
        end
        if nonceCount >= MAX_NONCES then return refuse(handle, "nonce_cache_full") end
      end
      nonceCount = nonceCount + 1
    end
    nonces[nonceKey] = p.expires + SKEW
  end

  if sub(peer, 1, 10 + #trustDomain) ~= "spiffe://" .. trustDomain .. "/" then return refuse(handle, "peer_not_allowed") end
  if p["wimse-sign-response"] == true then return refuse(handle, "response_signing_unsupported", "501") end

  headers:remove("workload-identity-token")
  headers:remove("signature")
  headers:remove("signature-input")
  headers:replace("accord-workload", subject)
  if CREDENTIALS ~= nil then
    local credential = CREDENTIALS[subject .. " " .. (headers:get("accord-user") or "")]
    if credential == nil then return refuse(handle, "credential_unmapped") end
    headers:replace("authorization", credential)
  end
end

-- Envoy lets a request through when its Lua script fails: every error is a refusal here.
function envoy_on_request(handle)
  local ok, problem = pcall(verify, handle)
  if not ok then
    handle:logErr("inbound verification failed: " .. tostring(problem))
    refuse(handle, "internal_error", "500")
  end
end
`;
}

/**
 * SHA-256's round constants and initial hash (FIPS 180-4 §4.2.2, §5.3.3): the first 32 bits of the
 * fractional parts of the cube roots of the first 64 primes and the square roots of the first 8,
 * computed exactly with integer roots.
 */
function sha256Constants(): { k: string[]; h: string[] } {
  const root = (value: bigint, degree: bigint): bigint => {
    let low = 0n;
    let high = 1n << 40n;
    while (low < high) {
      const middle = (low + high + 1n) / 2n;
      if (middle ** degree <= value) low = middle;
      else high = middle - 1n;
    }
    return low;
  };
  const primes: bigint[] = [];
  for (let candidate = 2n; primes.length < 64; candidate += 1n)
    if (primes.every((prime) => candidate % prime !== 0n)) primes.push(candidate);
  const word = (value: bigint) => `0x${(value & 0xffffffffn).toString(16)}`;
  return {
    k: primes.map((prime) => word(root(prime << 96n, 3n))),
    h: primes.slice(0, 8).map((prime) => word(root(prime << 64n, 2n))),
  };
}
