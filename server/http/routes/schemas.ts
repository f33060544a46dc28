import { Type } from '../../typebox.ts';
import { SLUG_PATTERN } from '../../log/records.ts';
import { MAX_ALT_LENGTH, MAX_PHOTOS_PER_POST } from '../../media/images.ts';

// Schemas more than one route uses: each is the validation, the type and the documentation at once.

export const SlugParams = Type.Object({ slug: Type.String({ pattern: SLUG_PATTERN }) });
export const PostParams = Type.Object({ slug: SlugParams.properties.slug, id: Type.String({ format: 'uuid' }) });
/** A seq in a query string or form field (text there; no type coercion anywhere). */
export const SeqText = Type.String({ pattern: '^[0-9]{1,12}$' });

/** A post's headline: its rules (one line, at most 140 characters) are checked with a clear message by the log; this only bounds it. */
export const Headline = Type.String({ maxLength: 1000 });

const Alt = Type.String({ maxLength: MAX_ALT_LENGTH });
/** Photos come as multipart file parts named `photo`, with `alt` texts in the same order. */
export const PhotoFields = {
  photo: Type.Optional(Type.Unsafe<unknown>({ description: 'one or more image files (multipart)' })),
  alt: Type.Optional(Type.Union([Alt, Type.Array(Alt, { maxItems: MAX_PHOTOS_PER_POST })])),
};
