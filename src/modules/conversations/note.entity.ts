import { randomUUID } from 'node:crypto';
import { DateTimeType, JsonType, OptionalProps } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../../graphql/relay.js';
import { User } from '../users/user.entity.js';

/** A user's own note: searchable, and quoted by the local provider. */
@ObjectType('Note', { implements: Node, description: 'One of your notes: found by `search`, and quoted by the local provider. Only its owner ever sees it.' })
@Entity({ tableName: 'notes' })
@Index({ name: 'notes_user_updated_index', properties: ['user', 'updatedAt'] })
export class Note {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'tags';

  @Field(() => ID, { description: 'The note\'s id, the same as REST\'s `note_id`.' })
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Field(() => String, { description: 'The title (1 to 200 characters).' })
  @Property({ type: 'string', length: 200 })
  title!: string;

  @Field(() => String, { description: 'The text (at most 100,000 characters).' })
  @Property({ type: 'text' })
  content!: string;

  @Field(() => [String], { description: 'Its tags (at most 20); search finds them as #tag.' })
  @Property({ type: JsonType })
  tags: string[] = [];

  @Field(() => GraphQLDateTime, { description: 'When the note was created.' })
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime, { description: 'When the note last changed: `notes` lists the most recent first.' })
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
