import { describe, expect, it } from 'vitest';
import { cleanGrpcMessage, describeStoreError } from '../../src/store/store-error.js';

// The messages as the etcd client gives them (captured from a real etcd 3.4 over TLS).
describe('describeStoreError', () => {
  it('a member down is an outage, its message without gRPC noise', () => {
    const error = new Error(
      '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 10.77.0.1:2379. Resolution note: ',
    );
    expect(describeStoreError(error)).toEqual({ refused: false, text: 'connect ECONNREFUSED 10.77.0.1:2379' });
  });

  it('the circuit breaker says which failure it stands for', () => {
    const error = Object.assign(new Error('Execution prevented because the circuit breaker is open'), {
      isBrokenCircuitError: true,
    });
    const failure = describeStoreError(error);
    expect(failure.refused).toBe(false);
    expect(failure.text).not.toContain('circuit breaker');
    expect(failure.text).toMatch(/^no endpoint answers/);
  });

  it('a refused client certificate is a refusal, named, with OpenSSL reduced to its reason', () => {
    const error = new Error(
      '14 UNAVAILABLE: No connection established. Last error: 806C0E3D627F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\\n (2026-12-06T16:14:59.687Z). Resolution note: ',
    );
    expect(describeStoreError(error)).toEqual({
      refused: true,
      text: "TLS: the member refused this host's client certificate (sslv3 alert bad certificate); set source.etcd.tls.cert and tls.key to a certificate its CA signed",
    });
  });

  it('a permission denied and an oversized answer are refusals', () => {
    expect(describeStoreError(new Error('7 PERMISSION_DENIED: etcdserver: permission denied')).text).toMatch(
      /^permission denied \(7 PERMISSION_DENIED: etcdserver: permission denied\)/,
    );
    const big = describeStoreError(
      new Error('8 RESOURCE_EXHAUSTED: Received message larger than max (4200000 vs 4194304)'),
    );
    expect(big.refused).toBe(true);
  });

  it('cleanGrpcMessage leaves a plain message alone', () => {
    expect(cleanGrpcMessage('etcdserver: request timed out')).toBe('etcdserver: request timed out');
  });
});
