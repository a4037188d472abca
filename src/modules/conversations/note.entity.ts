import { randomUUID } from 'node:crypto';
import { DateTimeType, Entity, Index, JsonType, ManyToOne, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity.js';

/** A user's own note: searchable, and quoted by the local provider. */
@ObjectType('Note')
@Entity({ tableName: 'notes' })
@Index({ name: 'notes_user_updated_index', properties: ['user', 'updatedAt'] })
export class Note {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'tags';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => User, { deleteRule: 'cascade', index: false })
  user!: User;

  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  title!: string;

  @Field(() => String)
  @Property({ type: 'text' })
  content!: string;

  @Field(() => [String])
  @Property({ type: JsonType })
  tags: string[] = [];

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType })
  createdAt: Date = new Date();

  @Field(() => GraphQLDateTime)
  @Property({ type: DateTimeType, onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
