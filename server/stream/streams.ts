import { randomBytes } from 'node:crypto';
import type { Collection } from 'mongodb';
import createError from '@fastify/error';
import { isDuplicateKey } from '../db/database.ts';
import { SLUG_PATTERN, type StreamRecord } from './types.ts';

export const StreamExists = createError('LIVELOG_STREAM_EXISTS', 'A stream named "%s" already exists', 409);
export const InvalidSlug = createError(
  'LIVELOG_INVALID_SLUG',
  'A stream slug is 1 to 64 lower-case letters, digits and inner dashes, like "launch-2026"',
  400,
);
export const InvalidTitle = createError('LIVELOG_INVALID_TITLE', 'A title is 1 to 200 characters', 400);

export class Streams {
  constructor(private readonly streams: Collection<StreamRecord>) {}

  async create(slug: string, title: string, createdBy: string, description = ''): Promise<StreamRecord> {
    if (!new RegExp(SLUG_PATTERN).test(slug)) throw new InvalidSlug();
    const cleanTitle = title.trim();
    if (!cleanTitle || cleanTitle.length > 200 || cleanTitle.includes('\0')) throw new InvalidTitle();
    const stream: StreamRecord = {
      _id: slug,
      title: cleanTitle,
      description: description.replaceAll('\0', '').slice(0, 1000),
      epoch: randomBytes(6).toString('base64url'),
      createdBy,
      createdAt: new Date(),
    };
    try {
      await this.streams.insertOne(stream);
    } catch (error) {
      if (isDuplicateKey(error)) throw new StreamExists(slug);
      throw error;
    }
    return stream;
  }

  list(): Promise<StreamRecord[]> {
    return this.streams.find({}).sort({ createdAt: -1 }).limit(500).toArray();
  }

  count(): Promise<number> {
    return this.streams.countDocuments();
  }
}
