/**
 * The charts' input checks: the rules and patterns of config/check.ts (one home each), thrown as `ChartInputError`
 * because a construct has no problem list to add to.
 */
import { Checker, DNS_LABEL, HOSTNAME, parseCidr, URL_PATH } from '../config';
import { ChartInputError } from './errors';

export function checkDnsLabel(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !DNS_LABEL.test(value)) {
    throw new ChartInputError(`${field} is ${JSON.stringify(value)}; expected a lowercase DNS label such as "web"`);
  }
}

export function checkHostname(field: string, value: unknown): asserts value is string {
  if (value === undefined || value === null || value === '') {
    throw new ChartInputError(`${field} is missing; the Ingress needs the public hostname, e.g. "app.example.com"`);
  }
  if (typeof value !== 'string' || !HOSTNAME.test(value)) {
    throw new ChartInputError(`${field} is ${JSON.stringify(value)}; expected a lowercase hostname such as "app.example.com"`);
  }
}

/** An IPv4 CIDR; unlike the VPC rule, the network address need not be aligned (an `except` may name a host). */
export function checkCidr(field: string, value: unknown): asserts value is string {
  const [address, prefix] = typeof value === 'string' ? value.split('/') : [];
  const aligned = prefix === undefined ? undefined : parseCidr(`${address}/32`);
  if (typeof value !== 'string' || !aligned || !/^\d{1,2}$/.test(prefix) || Number(prefix) > 32) {
    throw new ChartInputError(`${field} is ${JSON.stringify(value)}; expected an IPv4 CIDR such as "10.0.0.0/16"`);
  }
}

export function checkInteger(field: string, value: unknown, min: number, max: number): asserts value is number {
  const check = new Checker();
  check.integer('', field, value, min, max);
  check.throwFirst((message) => new ChartInputError(message));
}

/** An Ingress rule's path prefix. */
export function checkUrlPath(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !URL_PATH.test(value)) throw new ChartInputError(`${field} is ${JSON.stringify(value)}; expected a URL path such as "/api"`);
}
