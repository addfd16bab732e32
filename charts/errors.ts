/** Bad input to the charts (image reference, target name, replicas, hostname, outputs). The message names the bad value and what is allowed. */
export class ChartInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartInputError';
  }
}
