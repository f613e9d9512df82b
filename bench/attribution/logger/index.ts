/**
 * Stands in for `@aws-lambda-powertools/logger` in the "logger removed" variant: each line is
 * still one JSON line on stdout (the cost of writing it stays), without the library.
 */
type Attributes = Record<string, unknown>;

export class Logger {
  readonly #service: string;
  constructor(options: { serviceName?: string } = {}) {
    this.#service = options.serviceName ?? 'service_undefined';
  }
  #write(level: string, message: string, attributes: Attributes = {}): void {
    process.stdout.write(`${JSON.stringify({ level, message, service: this.#service, timestamp: new Date().toISOString(), ...attributes })}\n`);
  }
  debug(message: string, attributes?: Attributes): void {
    this.#write('DEBUG', message, attributes);
  }
  info(message: string, attributes?: Attributes): void {
    this.#write('INFO', message, attributes);
  }
  warn(message: string, attributes?: Attributes): void {
    this.#write('WARN', message, attributes);
  }
  error(message: string, attributes?: Attributes): void {
    this.#write('ERROR', message, attributes);
  }
}
