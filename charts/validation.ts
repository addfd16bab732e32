import { ChartInputError } from './errors';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

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

export function checkCidr(field: string, value: unknown): asserts value is string {
  const match = typeof value === 'string' ? CIDR.exec(value) : null;
  if (!match || match.slice(1, 5).some((o) => Number(o) > 255) || Number(match[5]) > 32) {
    throw new ChartInputError(`${field} is ${JSON.stringify(value)}; expected an IPv4 CIDR such as "10.0.0.0/16"`);
  }
}

export function checkInteger(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ChartInputError(`${field} is ${JSON.stringify(value)}; expected a whole number from ${min} to ${max}`);
  }
}
