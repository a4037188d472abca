import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'c1-speaking-abstract-issues',
  version: 1,
  title: 'Discussing abstract issues with nuance',
  description:
    'You will be able to discuss abstract issues at length, hedge your claims appropriately and respond to opposing views diplomatically.',
  level: 'C1',
  skill: 'speaking',
  estimatedMinutes: 30,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'Which sentence hedges a claim most appropriately in a serious discussion?',
      options: [
        { id: 'a', text: 'Social media is destroying democracy.' },
        { id: 'b', text: 'It could be argued that social media has, to some extent, weakened public debate.' },
        { id: 'c', text: 'Social media definitely ruins absolutely everything.' },
      ],
      answer: 'b',
      explanation:
        '"It could be argued" and "to some extent" soften the claim, showing that you know the issue is debatable. The other options state opinions as absolute facts.',
    },
    {
      key: 't2',
      type: 'multiple_choice',
      prompt: 'Which response acknowledges the other speaker\'s view before disagreeing?',
      options: [
        { id: 'a', text: "That's just wrong." },
        { id: 'b', text: "I take your point, but I'd question whether that applies in every case." },
        { id: 'c', text: 'Whatever you say.' },
        { id: 'd', text: "You obviously don't understand the issue." },
      ],
      answer: 'b',
      explanation:
        '"I take your point, but..." recognises the other view and then introduces a reasoned objection, which keeps the discussion respectful.',
    },
    {
      key: 't3',
      type: 'fill_blank',
      prompt: 'Complete with tend, arguably or extent: Older people ___ to be more sceptical of new technology, although there are many exceptions.',
      answers: ['tend'],
      explanation:
        '"Tend to" describes a general pattern rather than a rule, which is why it fits with "although there are many exceptions".',
    },
    {
      key: 't4',
      type: 'ordering',
      prompt: 'Put the phrases in the correct order to make a hedged opinion.',
      items: ['would argue', 'than it first appears.', 'I', 'is more complex', 'that the issue'],
      answer: 'I would argue that the issue is more complex than it first appears.',
      explanation:
        '"I would argue that..." presents your view firmly but politely; would makes the claim sound considered rather than dogmatic.',
    },
    {
      key: 't5',
      type: 'speaking',
      prompt:
        '"Technology has made people more connected but lonelier." Discuss this statement. Give your view, acknowledge at least one opposing argument, and use hedging language where your claims are uncertain.',
      targetSeconds: 120,
      minWords: 180,
      keywords: ['technology', 'connected', 'lonely', 'social media', 'relationships', 'arguably', 'to some extent', 'on the other hand', 'evidence'],
      explanation:
        'Strong answers define what they mean by "connected" and "lonely", support claims with examples, and qualify them with phrases such as "it seems that" or "to some extent".',
    },
    {
      key: 't6',
      type: 'speaking',
      prompt:
        'Is it ever justifiable to break the law? Discuss different situations, consider the consequences, and explain where you would draw the line.',
      targetSeconds: 120,
      minWords: 180,
      keywords: ['law', 'moral', 'justice', 'protest', 'circumstances', 'consequences', 'depends', 'arguably'],
      explanation:
        'Explore the issue from more than one angle, use conditionals to discuss hypothetical cases, and signal your position clearly while acknowledging its limits.',
    },
    {
      key: 't7',
      type: 'speaking',
      prompt:
        'Should success be measured by happiness rather than by wealth or status? Give your view and respond to at least one counter-argument.',
      targetSeconds: 90,
      minWords: 130,
      keywords: ['success', 'happiness', 'wealth', 'status', 'measure', 'society', 'values', 'tend to', 'it could be argued'],
      explanation:
        'Avoid absolute statements: use hedges such as "tend to" or "it could be argued", and turn to the counter-argument with phrases like "That said," or "Admittedly,".',
    },
  ],
};
