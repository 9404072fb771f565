import { expectMapping, isObject, show, type Fail } from './schema.js';

// The MSS a TUN VIP's SYN-ACKs advertise at most: auto (derived from the
// encapsulation and the egress MTU when planning), a number, or off (no clamp).
export type MssSetting = number | 'auto' | 'off';

export interface MssConfig {
  ipv4: MssSetting;
  ipv6: MssSetting;
}

// The smallest MSS each family must be able to carry: IPv4's 576-byte datagram every
// host accepts (RFC 879: 536) and IPv6's 1280-byte minimum link MTU (1220); the
// largest is what a 65535-byte IPv4 datagram holds (65495), the option's own limit in
// practice.
export const MSS_RANGE = { ipv4: { min: 536, max: 65495 }, ipv6: { min: 1220, max: 65495 } } as const;

export const DEFAULT_MSS: MssConfig = { ipv4: 'auto', ipv6: 'auto' };

// tunnel.mss: one setting for both families (auto, off, a number), or a mapping with
// ipv4 and/or ipv6 (a family left out is auto).
export function validateMss(value: unknown, fail: Fail): MssConfig {
  if (value === undefined || value === null) return { ...DEFAULT_MSS };
  if (isObject(value)) {
    const byFamily = expectMapping(value, 'tunnel.mss', fail, ['ipv4', 'ipv6']);
    return {
      ipv4:
        byFamily.ipv4 === undefined || byFamily.ipv4 === null
          ? 'auto'
          : validateOne(byFamily.ipv4, 'ipv4', 'tunnel.mss.ipv4', fail),
      ipv6:
        byFamily.ipv6 === undefined || byFamily.ipv6 === null
          ? 'auto'
          : validateOne(byFamily.ipv6, 'ipv6', 'tunnel.mss.ipv6', fail),
    };
  }
  return { ipv4: validateOne(value, 'ipv4', 'tunnel.mss', fail), ipv6: validateOne(value, 'ipv6', 'tunnel.mss', fail) };
}

function validateOne(value: unknown, family: 'ipv4' | 'ipv6', path: string, fail: Fail): MssSetting {
  if (value === 'auto' || value === 'off') return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return fail(path, `${show(value)} must be auto, off or a number of bytes (e.g. 1400)`);
  }
  const { min, max } = MSS_RANGE[family];
  if (value < min || value > max) {
    const why = family === 'ipv4' ? 'IPv4 hosts must accept 536' : 'IPv6 links carry at least 1280 bytes, so 1220';
    const alone = path === 'tunnel.mss' && family === 'ipv6' ? '; for IPv4 alone write tunnel.mss: {ipv4: N}' : '';
    return fail(path, `${value} is out of range for IPv${family === 'ipv4' ? 4 : 6}: ${min}-${max} (${why})${alone}`);
  }
  return value;
}
