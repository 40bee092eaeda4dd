// Names each TypeDoc module by the specifier a user imports (`coassemble-events/inbox`) instead of
// its file path (`server/inbox`): the API reference then reads like the code that uses it.
import { Converter, ReflectionKind } from 'typedoc';
import { modules } from './typedoc.config.mjs';

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      // TypeDoc names a module by its path below the entry points' common folder, less `/index`.
      const path = Object.keys(modules).find((file) => [`/${mod.name}.d.ts`, `/${mod.name}/index.d.ts`].some((end) => file.endsWith(end)));
      if (path) mod.name = modules[path];
    }
  });
}
