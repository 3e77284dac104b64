import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainException } from './domain.exception';

function flatten(errors: ValidationError[], prefix = ''): { field: string; constraints: Record<string, string> }[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, constraints: error.constraints }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Unknown fields are a client bug (400); a known field with a bad value is something a person
 * can fix (422 with a message per field, the shape react-admin puts under form inputs).
 */
export function buildValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const flat = flatten(errors);
      const unknown = flat.filter((e) => e.constraints.whitelistValidation).map((e) => e.field);
      if (unknown.length > 0) {
        return new DomainException(
          'bad_request',
          `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Remove ${unknown.length > 1 ? 'them' : 'it'} and try again.`,
        );
      }
      const fields: Record<string, string> = {};
      for (const e of flat) fields[e.field] ??= Object.values(e.constraints)[0]!;
      return DomainException.validation(fields);
    },
  });
}
