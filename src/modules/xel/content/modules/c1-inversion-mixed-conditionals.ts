import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'c1-inversion-mixed-conditionals',
  version: 1,
  title: 'Inversion and mixed conditionals',
  description:
    'You will be able to use negative adverbial inversion for emphasis and form mixed and inverted conditionals to link past and present situations.',
  level: 'C1',
  skill: 'grammar',
  estimatedMinutes: 25,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'Never ___ such an impressive performance.',
      options: [
        { id: 'a', text: 'I have seen' },
        { id: 'b', text: 'have I seen' },
        { id: 'c', text: 'I saw' },
        { id: 'd', text: 'did I saw' },
      ],
      answer: 'b',
      explanation:
        'When a negative adverb such as never starts the sentence, the auxiliary comes before the subject, as in a question: Never have I seen...',
    },
    {
      key: 't2',
      type: 'fill_blank',
      prompt: 'Not only ___ she finish the report on time, but she also found two errors in the data.',
      answers: ['did'],
      explanation:
        'After Not only at the start of a clause we invert. The past simple has no auxiliary of its own, so we add did: Not only did she finish...',
    },
    {
      key: 't3',
      type: 'multiple_choice',
      prompt: '___ I known about the roadworks, I would have left earlier.',
      options: [
        { id: 'a', text: 'Had' },
        { id: 'b', text: 'If' },
        { id: 'c', text: 'Have' },
        { id: 'd', text: 'Would' },
      ],
      answer: 'a',
      explanation:
        'Had I known... is an inverted third conditional meaning If I had known... If would need had as well (If I had known).',
    },
    {
      key: 't4',
      type: 'fill_blank',
      prompt: 'Hardly ___ we sat down when the fire alarm went off.',
      answers: ['had'],
      explanation:
        'Hardly ... when describes one past event immediately followed by another. It takes the past perfect with inversion: Hardly had we sat down when...',
    },
    {
      key: 't5',
      type: 'multiple_choice',
      prompt: 'If I had studied medicine, I ___ a doctor now.',
      options: [
        { id: 'a', text: 'would be' },
        { id: 'b', text: 'would have been' },
        { id: 'c', text: 'will be' },
        { id: 'd', text: 'had been' },
      ],
      answer: 'a',
      explanation:
        'This mixed conditional links a past condition (had studied) to a present result (now), so the result clause uses would + base form.',
    },
    {
      key: 't6',
      type: 'fill_blank',
      prompt: "Write the correct form of the verb in brackets: If he weren't so stubborn, he ___ (accept) our help yesterday.",
      answers: ['would have accepted', "'d have accepted", "would've accepted"],
      explanation:
        'Here a present, permanent condition (he is stubborn) explains a past result (yesterday), so the result clause uses would have + past participle.',
    },
    {
      key: 't7',
      type: 'fill_blank',
      prompt:
        "Write the correct form of the verb in brackets: If I ___ (not be) afraid of flying, I would have visited you in Australia last year.",
      answers: ["weren't", "wasn't", 'were not', 'was not'],
      explanation:
        'The fear of flying is a present, general state, so the if-clause uses the past simple (were/was not), while the past result uses would have + past participle.',
    },
    {
      key: 't8',
      type: 'multiple_choice',
      prompt: 'Which sentence means "You must not leave the building in any situation"?',
      options: [
        { id: 'a', text: 'Under no circumstances can you leave the building.' },
        { id: 'b', text: 'Under no circumstances you can leave the building.' },
        { id: 'c', text: "Under any circumstances can't you leave the building." },
      ],
      answer: 'a',
      explanation:
        'Under no circumstances is a negative phrase, so it is followed by inversion (can you). Option b lacks inversion and option c uses the wrong phrase.',
    },
    {
      key: 't9',
      type: 'ordering',
      prompt: 'Put the words and phrases in the correct order.',
      items: ['realise', 'later', 'I', 'did', 'Only', 'my mistake.'],
      answer: 'Only later did I realise my mistake.',
      explanation:
        'Only + a time expression at the start of a sentence causes inversion in the main clause: Only later did I realise...',
    },
  ],
};
