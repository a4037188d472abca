import { gql } from '@apollo/client/core';
import type { CacheCases, CacheEnv } from '../helpers/apollo-cache.js';

/**
 * The knowledge screen: the document list (asked as fields: a root query spreading a fragment
 * on Query would also select the root's __typename), and one document watched while it is processed.
 */
const DOCUMENT_FIELDS = /* GraphQL */ `
    documents {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          title
          visibility
          organizationId
          status
          chunkCount
          updatedAt
        }
      }
    }
`;

const DOCUMENTS = gql`
  query CacheDocuments {
    ${DOCUMENT_FIELDS}
  }
`;

const DOCUMENT = gql`
  query CacheDocument($id: ID!) {
    document(id: $id) {
      id
      title
      visibility
      organizationId
      status
      updatedAt
    }
  }
`;

/**
 * The list as the upload case compares it: without what ingestion changes in the background
 * after the upload answered (status, passages, updatedAt), which the cache learns by asking
 * again, as any client polling a PROCESSING document does.
 */
const UPLOADED_FIELDS = /* GraphQL */ `
    documents {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          title
          visibility
          organizationId
          mimeType
          sizeBytes
          createdAt
        }
      }
    }
`;

/** A document of the owner's, processed. */
async function document(env: CacheEnv): Promise<string> {
  const r = await env.api.post('/api/knowledge/documents', { title: 'Cached document', content: '# Caches\n\nA cache keeps answers close.' }, { token: env.cast.owner.accessToken });
  await env.server.app.services.knowledge.drain();
  return r.body.id as string;
}

export const cases: CacheCases = [
  {
    key: 'Mutation.uploadDocument',
    setup: async (env) => {
      await env.server.app.services.knowledge.drain();
      return null;
    },
    queries: () => [
      {
        query: gql`
          query CacheUploadedDocuments {
            ${UPLOADED_FIELDS}
          }
        `,
      },
    ],
    mutation: () => ({
      mutation: gql`
        mutation CacheUploadDocument($input: UploadDocumentInput!) {
          uploadDocument(input: $input) {
            document {
              id
              title
              status
            }
            query {
              ${UPLOADED_FIELDS}
            }
          }
        }
      `,
      variables: { input: { title: 'Uploaded for the cache', content: 'Caches keep answers close.' } },
    }),
  },
  {
    key: 'Mutation.updateDocument',
    setup: document,
    queries: (id) => [{ query: DOCUMENTS }, { query: DOCUMENT, variables: { id } }],
    mutation: (id, env) => ({
      mutation: gql`
        mutation CacheUpdateDocument($input: UpdateDocumentInput!) {
          updateDocument(input: $input) {
            document {
              id
              title
              visibility
              organizationId
              updatedAt
            }
            query {
              ${DOCUMENT_FIELDS}
            }
          }
        }
      `,
      variables: { input: { id, title: 'Shared from the cache', visibility: 'ORGANIZATION', organizationId: env.org.id } },
    }),
  },
  {
    key: 'Mutation.deleteDocument',
    setup: document,
    queries: (id) => [{ query: DOCUMENTS }, { query: DOCUMENT, variables: { id } }],
    mutation: (id) => ({
      mutation: gql`
        mutation CacheDeleteDocument($input: DeleteDocumentInput!) {
          deleteDocument(input: $input) {
            deletedId
            query {
              ${DOCUMENT_FIELDS}
            }
          }
        }
      `,
      variables: { input: { id } },
    }),
  },
];
