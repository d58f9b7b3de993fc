// An SNS Publish for a notification: a short Subject (email subscribers see it), the plain-text
// Message, and attributes that subscription filter policies can match (severity, status…).
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Notification } from '../../types.ts';
import { factsOf, plainTextOf, stateWord, titleOf } from '../text.ts';

// SNS: a Subject is printable ASCII, starts with a letter, digit or punctuation, under 100 characters.
const SUBJECT_MAX = 99;

export interface SnsPublish {
  TopicArn: string;
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, MessageAttributeValue>;
}

export function buildSnsPublish(n: Notification, topicArn: string): SnsPublish {
  const f = factsOf(n);
  const attribute = (value: string): MessageAttributeValue => ({
    DataType: 'String',
    StringValue: value || '-',
  });
  return {
    TopicArn: topicArn,
    Subject: asciiSubject(titleOf(n)),
    Message: plainTextOf(n),
    MessageAttributes: {
      severity: attribute(f.severity),
      status: attribute(stateWord(n).toLowerCase()),
      alarm: attribute(f.alarm),
      environment: attribute(f.environment),
    },
  };
}

function asciiSubject(title: string): string {
  const ascii = title.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/** The region in `arn:aws:sns:us-east-1:123456789012:oncall`. */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}
